#include "net/doh_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "net/doh_request.h"

namespace namae::net {
namespace {

// A GET's path carries the whole query in base64url; a longer one cannot
// hold a DNS message and is refused without keeping it.
constexpr size_t kMaxPath = doh::kPath.size() + 5 + (doh::kMaxMessage + 2) / 3 * 4 + 64;

struct Stream {
  std::string method, path, content_type;
  std::vector<uint8_t> body;
  bool too_large = false;
  bool answered = false;             // a response was submitted
  std::vector<uint8_t> response;     // the body being sent
  size_t sent = 0;
};

std::string_view view(const uint8_t* p, size_t n) { return {reinterpret_cast<const char*>(p), n}; }

nghttp2_nv header(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

struct DohSession::Impl {
  nghttp2_session* session = nullptr;
  std::unordered_map<int32_t, Stream> streams;
  std::vector<Query> queries;
  uint64_t http_errors = 0;
  bool failed = false;

  ~Impl() {
    if (session) nghttp2_session_del(session);
  }
  Stream* find(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : &it->second;
  }
  void complete(int32_t id, Stream& s);
  void submit(int32_t id, Stream& s, int status, std::span<const uint8_t> body, uint32_t max_age);

  static Impl* self(void* ud) { return static_cast<Impl*>(ud); }
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* ud);
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen,
                       const uint8_t* value, size_t valuelen, uint8_t, void* ud);
  static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len, void* ud);
  static int on_frame(nghttp2_session*, const nghttp2_frame* f, void* ud);
  static int on_close(nghttp2_session*, int32_t id, uint32_t, void* ud);
  static ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t len, uint32_t* flags,
                           nghttp2_data_source* src, void*);
};

int DohSession::Impl::on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* ud) {
  if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) self(ud)->streams[f->hd.stream_id];
  return 0;
}

int DohSession::Impl::on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen,
                                const uint8_t* value, size_t valuelen, uint8_t, void* ud) {
  Stream* s = self(ud)->find(f->hd.stream_id);
  if (!s) return 0;
  std::string_view n = view(name, namelen), v = view(value, valuelen);
  if (n == ":method") {
    s->method = v;
  } else if (n == ":path") {
    if (v.size() > kMaxPath) s->too_large = true;
    else s->path = v;
  } else if (n == "content-type") {
    s->content_type = v;
  }
  return 0;
}

int DohSession::Impl::on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len, void* ud) {
  Stream* s = self(ud)->find(id);
  if (!s || s->too_large) return 0;
  if (s->body.size() + len > doh::kMaxMessage) {
    s->too_large = true;
    s->body.clear();
    s->body.shrink_to_fit();
    return 0;
  }
  s->body.insert(s->body.end(), data, data + len);
  return 0;
}

int DohSession::Impl::on_frame(nghttp2_session*, const nghttp2_frame* f, void* ud) {
  bool request_end = (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
                     (f->hd.flags & NGHTTP2_FLAG_END_STREAM);
  if (!request_end) return 0;
  if (Stream* s = self(ud)->find(f->hd.stream_id)) self(ud)->complete(f->hd.stream_id, *s);
  return 0;
}

int DohSession::Impl::on_close(nghttp2_session*, int32_t id, uint32_t, void* ud) {
  self(ud)->streams.erase(id);
  return 0;
}

ssize_t DohSession::Impl::read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                                    nghttp2_data_source* src, void*) {
  auto* s = static_cast<Stream*>(src->ptr);
  size_t n = std::min(len, s->response.size() - s->sent);
  std::copy_n(s->response.data() + s->sent, n, buf);
  s->sent += n;
  if (s->sent == s->response.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

void DohSession::Impl::complete(int32_t id, Stream& s) {
  if (s.answered) return;
  auto parsed = doh::parse_request({s.method, s.path, s.content_type}, s.body, s.too_large);
  s.body = {};
  if (s.too_large && s.method != "POST") parsed.status = 413;  // an over-long path
  if (parsed.status != 200) {
    submit(id, s, parsed.status, {}, 0);
    return;
  }
  s.answered = true;  // by the caller, through respond()
  queries.push_back({id, std::move(parsed.query)});
}

void DohSession::Impl::submit(int32_t id, Stream& s, int status, std::span<const uint8_t> body, uint32_t max_age) {
  s.answered = true;
  if (status != 200) ++http_errors;
  std::string code = std::to_string(status), length = std::to_string(body.size());
  std::string cache = "max-age=" + std::to_string(max_age);
  nghttp2_nv nva[4] = {header(":status", code), header("content-length", length),
                       header("content-type", doh::kMediaType), header("cache-control", cache)};
  if (body.empty()) {
    nghttp2_submit_response(session, id, nva, 2, nullptr);
    return;
  }
  s.response.assign(body.begin(), body.end());
  s.sent = 0;
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = read_body;
  nghttp2_submit_response(session, id, nva, 4, &provider);
}

std::unique_ptr<DohSession> DohSession::create(uint32_t max_streams) {
  auto impl = std::make_unique<Impl>();
  nghttp2_session_callbacks* cb = nullptr;
  if (nghttp2_session_callbacks_new(&cb) != 0) return nullptr;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, Impl::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, Impl::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, Impl::on_data);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, Impl::on_frame);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, Impl::on_close);
  int rv = nghttp2_session_server_new(&impl->session, cb, impl.get());
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) return nullptr;
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams}};
  if (nghttp2_submit_settings(impl->session, NGHTTP2_FLAG_NONE, settings, 1) != 0) return nullptr;
  return std::unique_ptr<DohSession>(new DohSession(std::move(impl)));
}

DohSession::DohSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DohSession::~DohSession() = default;

bool DohSession::receive(std::span<const uint8_t> data) {
  if (impl_->failed) return false;
  ssize_t n = nghttp2_session_mem_recv(impl_->session, data.data(), data.size());
  if (n < 0) impl_->failed = true;
  return !impl_->failed;
}

std::vector<DohSession::Query> DohSession::take_queries() {
  std::vector<Query> out;
  out.swap(impl_->queries);
  return out;
}

void DohSession::respond(int32_t stream, std::span<const uint8_t> message) {
  if (Stream* s = impl_->find(stream)) impl_->submit(stream, *s, 200, message, doh::max_age(message));
}

void DohSession::refuse(int32_t stream, int status) {
  if (Stream* s = impl_->find(stream)) impl_->submit(stream, *s, status, {}, 0);
}

bool DohSession::send(std::vector<uint8_t>& out) {
  if (impl_->failed && !nghttp2_session_want_write(impl_->session)) return false;
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(impl_->session, &data);
    if (n < 0) {
      impl_->failed = true;
      return false;
    }
    if (n == 0) return true;
    out.insert(out.end(), data, data + n);
  }
}

uint64_t DohSession::take_http_errors() { return std::exchange(impl_->http_errors, 0); }

bool DohSession::has_streams() const { return !impl_->streams.empty(); }

bool DohSession::done() const {
  return impl_->failed || (!nghttp2_session_want_read(impl_->session) && !nghttp2_session_want_write(impl_->session));
}

}  // namespace namae::net
