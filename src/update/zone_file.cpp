#include "update/zone_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dns/rrtype.h"
#include "zonefile/writer.h"

namespace namae::update {

std::string zone_to_text(const zone::ZoneVersion& z) {
  std::string out = "; zone " + z.origin().to_text() + " serial " + std::to_string(z.serial()) +
                    ", written by namaed from memory (dynamic zone)\n";
  auto records = z.records();
  auto line = [&](const dns::Record& r) {
    out += zonefile::format_record(r);
    out += '\n';
  };
  for (const auto& r : records)
    if (r.type == dns::rrtype::SOA && r.owner == z.origin()) line(r);
  for (const auto& r : records)
    if (!(r.type == dns::rrtype::SOA && r.owner == z.origin())) line(r);
  return out;
}

Result<void> write_zone_file(const std::string& path, const zone::ZoneVersion& z) {
  const std::string text = zone_to_text(z);
  const std::string tmp = path + ".namae-tmp";
  auto sys_fail = [&](const char* what) {
    return fail(std::string(what) + " " + tmp + ": " + std::strerror(errno));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_fail("cannot create");
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto r = sys_fail("cannot write");
      ::close(fd);
      ::unlink(tmp.c_str());
      return r;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto r = sys_fail("cannot fsync");
    ::close(fd);
    ::unlink(tmp.c_str());
    return r;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto r = fail("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return r;
  }
  // The rename is durable only once the directory entry is.
  std::string dir = ".";
  if (auto slash = path.rfind('/'); slash != std::string::npos)
    dir = slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail("cannot open directory " + dir + ": " + std::strerror(errno));
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  if (rc != 0) return fail("cannot fsync directory " + dir + ": " + std::strerror(err));
  return {};
}

}  // namespace namae::update
