# Writes OUT: a C++ file holding every file under DIR (the dashboard, ui/) as (relative path,
# bytes), sorted by path, so `dispatch serve` needs no files beside the binary.
file(GLOB_RECURSE files RELATIVE ${DIR} ${DIR}/*)
list(SORT files)
set(arrays "")
set(table "")
set(i 0)
foreach(rel ${files})
  file(READ ${DIR}/${rel} hex HEX)
  string(LENGTH "${hex}" n)
  math(EXPR size "${n} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # A trailing 0 keeps an empty file's array legal; the view excludes it.
  string(APPEND arrays "const unsigned char a${i}[] = {${bytes}0};\n")
  string(APPEND table "    {\"${rel}\", std::string_view(reinterpret_cast<const char*>(a${i}), ${size})},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from ui/ by cmake/embed_ui.cmake; do not edit.
#include \"core/http/ui_assets.h\"
namespace dispatch::http {
namespace {
${arrays}}  // namespace
const std::vector<UiAsset>& uiAssets() {
  static const std::vector<UiAsset> v = {
${table}  };
  return v;
}
}  // namespace dispatch::http
")
# Only a changed file recompiles.
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
