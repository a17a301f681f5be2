#include "base/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace namae {

namespace {

Result<void> write_all(int fd, std::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(std::string("cannot write: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail(std::string("cannot fsync: ") + std::strerror(errno));
  return {};
}

Result<void> sync_directory_of(const std::string& path) {
  std::string dir = ".";
  if (auto slash = path.rfind('/'); slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail("cannot open directory " + dir + ": " + std::strerror(errno));
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  if (rc != 0) return fail("cannot fsync directory " + dir + ": " + std::strerror(err));
  return {};
}

}  // namespace

Result<void> write_file_durably(const std::string& path, std::string_view text, mode_t mode) {
  const std::string tmp = path + ".namae-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail("cannot create " + tmp + ": " + std::strerror(errno));
  auto written = write_all(fd, text);
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return fail(tmp + ": " + written.message());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto r = fail("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return r;
  }
  return sync_directory_of(path);
}

}  // namespace namae
