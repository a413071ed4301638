// API key rows. Keys are looked up by their SHA-256, so the comparison an attacker could
// time is between hashes, never between secrets.
#include "core/store/key_store.h"

#include "core/store/connection.h"
#include "core/util/crypto.h"
#include "core/util/uuid.h"

namespace dispatch::store {
namespace {

std::optional<TimeMs> optMs(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<long long>();
}

pqxx::binarystring hashOf(const std::string& key) {
  return pqxx::binarystring(crypto::sha256(key));
}

}  // namespace

bool looksLikeApiKey(const std::string& key) {
  if (key.size() != 67 || key.compare(0, 3, "sk_") != 0) return false;
  for (size_t i = 3; i < key.size(); ++i) {
    char c = key[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<CreatedKey> KeyStore::create(const std::string& projectId, const std::string& label) {
  CreatedKey out;
  out.key = "sk_" + crypto::hexEncode(crypto::randomBytes(32));
  out.row.id = newUuidV7();
  out.row.projectId = projectId;
  out.row.label = label;
  out.row.last4 = out.key.substr(out.key.size() - 4);
  Status st = db_.run([&](Connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "INSERT INTO api_keys (id, project_id, key_hash, last4, label) VALUES ($1,$2,$3,$4,$5) "
        "RETURNING ts_to_ms(created_at)",
        out.row.id, projectId, hashOf(out.key), out.row.last4, label);
    out.row.createdAt = r[0][0].as<long long>();
    tx.commit();
  });
  if (!st) return st;
  return out;
}

Result<std::vector<ApiKeyRow>> KeyStore::list(const std::string& projectId) {
  std::vector<ApiKeyRow> rows;
  Status st = db_.run([&](Connection& c) {
    pqxx::nontransaction tx(c);
    auto r = tx.exec_params(
        "SELECT id, label, last4, ts_to_ms(created_at), ts_to_ms(last_used_at), "
        "ts_to_ms(revoked_at) FROM api_keys WHERE project_id = $1 ORDER BY created_at, id",
        projectId);
    for (const auto& row : r) {
      ApiKeyRow k;
      k.id = row[0].c_str();
      k.projectId = projectId;
      k.label = row[1].c_str();
      k.last4 = row[2].c_str();
      k.createdAt = row[3].as<long long>();
      k.lastUsedAt = optMs(row[4]);
      k.revokedAt = optMs(row[5]);
      rows.push_back(std::move(k));
    }
  });
  if (!st) return st;
  return rows;
}

Status KeyStore::revoke(const std::string& projectId, const std::string& keyId) {
  if (!isUuid(keyId)) return Status(Code::kNotFound, "Key not found");
  bool found = false;
  Status st = db_.run([&](Connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) "
        "WHERE id = $1 AND project_id = $2 RETURNING id",
        keyId, projectId);
    found = !r.empty();
    tx.commit();
  });
  if (!st) return st;
  if (!found) return Status(Code::kNotFound, "Key not found");
  return Status::ok();
}

Result<AuthenticatedKey> KeyStore::authenticate(const std::string& key) {
  if (!looksLikeApiKey(key)) return Status(Code::kUnauthorized, "Invalid API key");
  std::optional<AuthenticatedKey> out;
  Status st = db_.run([&](Connection& c) {
    c.prepared("key_auth",
               "SELECT k.id, k.project_id, p.name, "
               " (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute') "
               "FROM api_keys k JOIN projects p ON p.id = k.project_id "
               "WHERE k.key_hash = $1 AND k.revoked_at IS NULL");
    pqxx::nontransaction tx(c);
    auto r = tx.exec_prepared("key_auth", hashOf(key));
    if (r.empty()) return;
    out = AuthenticatedKey{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str()};
    if (r[0][3].as<bool>()) {
      tx.exec_params("UPDATE api_keys SET last_used_at = now() WHERE id = $1", out->keyId);
    }
  });
  if (!st) return st;
  if (!out) return Status(Code::kUnauthorized, "Invalid API key");
  return *out;
}

}  // namespace dispatch::store
