// Replacing a file so that a crash at any moment leaves either the old
// content or the new, never a mix, and the new one survives once this
// returns: write a temporary beside it, fsync, rename over, fsync the
// directory (the rename is durable only once the directory entry is).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace namae {

Result<void> write_file_durably(const std::string& path, std::string_view text, mode_t mode = 0644);

}  // namespace namae
