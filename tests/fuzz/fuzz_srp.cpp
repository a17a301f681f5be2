// SRP's parsers of untrusted input (RFC 9665, RFC 2931): arbitrary bytes as
// an UPDATE, the SIG(0) found in it, the SRP shape read from its sections,
// and the SIG(0) verified with the KEY the update carries (or, when the
// shape is wrong, with the bytes after the SIG as KEY rdata), with and
// without the time check. Oracle: no crash, no leak; a claim that reads
// is never empty of host and key. The seeds are real signed updates as
// sent on the wire: `namae srp register` (a registration, a removal) and
// BIND's `nsupdate -k` with a SIG(0) KEY.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "dns/message.h"
#include "dnssec/sig0.h"
#include "update/engine.h"
#include "update/srp.h"

using namespace namae;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> msg(data, data + size);
  if (msg.size() >= dns::kHeaderSize) msg[2] = static_cast<uint8_t>((msg[2] & 0x87) | (dns::opcode::UPDATE << 3));
  dns::MessageView view;
  if (view.parse(msg) != dns::WireError::ok) return 0;
  auto sig = dnssec::find_sig0(view);
  update::UpdateMessage um;
  update::SrpClaim claim;
  bool shaped = update::read_update(view, um) == dns::rcode::NOERROR &&
                update::read_srp(um, claim) == dns::rcode::NOERROR;
  if (shaped && (claim.host.is_root() || claim.key.empty())) std::abort();
  if (!sig.ok() || !sig->has_value()) return 0;
  const dnssec::Sig0& s = **sig;
  std::span<const uint8_t> key = claim.key;
  if (!shaped) key = std::span<const uint8_t>(msg).subspan(s.offset);
  (void)dnssec::verify_sig0(msg, s, key, std::nullopt);
  (void)dnssec::verify_sig0(msg, s, key, 1700000000u);
  if (shaped) update::srp_apply_form(um, claim, size & 1, size & 2);
  return 0;
}
