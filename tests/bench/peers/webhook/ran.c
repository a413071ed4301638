/* The command the adnanh/webhook peer runs for each hook: like `true`, plus one byte appended
 * to the file named by argv[1], so the harness can count how many hooks actually ran (webhook
 * answers before it runs the command). Built by scripts/bench.d/ingest.sh with cc. */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 0;
  int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return 1;
  ssize_t n = write(fd, "1", 1);
  close(fd);
  return n == 1 ? 0 : 1;
}
