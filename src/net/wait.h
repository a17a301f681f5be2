// Waiting on one socket until a deadline, between the non-blocking calls of
// the blocking clients (client, stream_client, dot_client, tls_client).
#pragma once

#include <chrono>

namespace namae::net {

using Deadline = std::chrono::steady_clock::time_point;

/// Milliseconds from now to `deadline` (0 once it has passed), for poll().
int remaining_ms(Deadline deadline);

/// Poll `fd` for `events` (POLLIN, POLLOUT) until `deadline`, EINTR
/// retried: 1 ready, 0 timed out, -1 error (errno). On a fiber (fiber.h)
/// only the fiber waits: its loop runs the others meanwhile.
int wait_for(int fd, short events, Deadline deadline);

/// After an OpenSSL call on `fd` failed with `ssl_error` (SSL_get_error):
/// wait for the readiness SSL_ERROR_WANT_READ or WANT_WRITE asks for. True
/// when it came (call again); false on timeout, a poll error, or any other
/// SSL error (nothing to wait for).
bool wait_for_ssl(int fd, int ssl_error, Deadline deadline);

}  // namespace namae::net
