#include "net/tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <cstring>

namespace namae::net {

std::string openssl_error_text(const char* fallback) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return fallback;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

namespace {

std::string ssl_error_text() { return openssl_error_text("unknown TLS error"); }

// RFC 7301 3.2: a client that offers protocols, none of them ours, gets the
// no_application_protocol alert; one that offers none is served.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  const auto* self = static_cast<const TlsContext*>(arg);
  const auto& ours = self->alpn();
  unsigned char* sel = nullptr;
  if (SSL_select_next_proto(&sel, outlen, reinterpret_cast<const unsigned char*>(ours.data()),
                            static_cast<unsigned>(ours.size()), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

Result<void> check_key_mode(const std::string& key_file) {
  struct stat st;
  if (stat(key_file.c_str(), &st) != 0) return fail("tls-key " + key_file + ": " + std::strerror(errno));
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return fail("tls-key " + key_file + " is accessible by group or others (chmod 600 it)");
  return {};
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::load(const std::string& cert_file, const std::string& key_file,
                                                     const std::string& alpn) {
  if (auto r = check_key_mode(key_file); !r) return r.error();
  std::shared_ptr<TlsContext> self(new TlsContext());
  self->ctx_ = SSL_CTX_new(TLS_server_method());
  if (!self->ctx_) return fail("TLS context: " + ssl_error_text());
  SSL_CTX* ctx = self->ctx_;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // No renegotiation (so a write never waits for a read); an EOF without
  // close_notify is an ordinary end of stream for DNS (RFC 7766 framing
  // delimits every message, so truncation cannot go unnoticed).
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The connection's output buffer may move between a partial write and its retry.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Read-ahead: one read(2) takes every record the socket holds instead of
  // a 5-byte header and then the record, two system calls per DoT query or
  // DoH request (the listener's main cost per cache hit).
  SSL_CTX_set_read_ahead(ctx, 1);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
    return fail("tls-cert " + cert_file + ": " + ssl_error_text());
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail("tls-key " + key_file + ": " + ssl_error_text());
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fail("tls-key " + key_file + " does not match tls-cert " + cert_file);
  // Resumption (RFC 7858 3.4, RFC 8446 2.2): tickets (on by default) and a
  // server-side cache for TLS 1.2 session IDs.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  static const unsigned char sid_ctx[] = "namae";
  SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
  SSL_CTX_sess_set_cache_size(ctx, 20000);
  self->alpn_.push_back(static_cast<char>(alpn.size()));
  self->alpn_ += alpn;
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, self.get());
  return self;
}

TlsContext::~TlsContext() {
  if (ctx_) SSL_CTX_free(ctx_);
}

TlsStream::TlsStream(const TlsContext& ctx, int fd) : ssl_(SSL_new(ctx.native())) {
  if (!ssl_) return;
  if (SSL_set_fd(ssl_, fd) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() {
  if (ssl_) SSL_free(ssl_);
}

long TlsStream::result(int n, bool reading) {
  // Any call may have read records ahead: a write that completes the
  // handshake reads the client's Finished and what came with it.
  read_wants_socket_ = false;
  (reading ? read_wants_write_ : write_wants_read_) = false;
  if (n > 0) return n;
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_READ:
      (reading ? read_wants_socket_ : write_wants_read_) = true;
      return kWantRead;
    case SSL_ERROR_WANT_WRITE:
      if (reading) read_wants_write_ = true;
      return kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      if (reading) return kClosed;
      [[fallthrough]];
    default:
      // errno and the OpenSSL queue belong to this connection only: clear
      // them so the next connection's SSL_get_error is not misled.
      ERR_clear_error();
      failed_ = true;
      return kError;
  }
}

long TlsStream::read(uint8_t* buf, size_t len) {
  if (!ssl_ || failed_) return kError;
  ERR_clear_error();
  return result(SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(len, 1 << 30))), true);
}

long TlsStream::write(const uint8_t* buf, size_t len) {
  if (!ssl_ || failed_) return kError;
  ERR_clear_error();
  return result(SSL_write(ssl_, buf, static_cast<int>(std::min<size_t>(len, 1 << 30))), false);
}

bool TlsStream::has_buffered() const {
  return ssl_ && !failed_ && !read_wants_socket_ && !read_wants_write_ && SSL_has_pending(ssl_);
}

void TlsStream::shutdown() {
  if (!ssl_ || failed_ || !SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

bool TlsStream::resumed() const { return ssl_ && SSL_session_reused(ssl_); }

}  // namespace namae::net
