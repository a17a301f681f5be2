// The key state file parser (signing/rollover.h) on arbitrary text: it
// must reject or accept without crashing; what it accepts must format and
// parse back the same, and the state machine must run on it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "signing/rollover.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace namae::signing;
  std::optional<Unsigning> u;
  auto keys = parse_key_state(std::string_view(reinterpret_cast<const char*>(data), size), &u);
  if (!keys) return 0;
  const std::string text = format_key_state(*keys, u);
  std::optional<Unsigning> u2;
  auto again = parse_key_state(text, &u2);
  if (!again || format_key_state(*again, u2) != text) __builtin_trap();
  RollTiming t;
  t.ksk_lifetime = 1000;
  t.zsk_lifetime = 100;
  for (int64_t now : {int64_t{0}, int64_t{1800000000}}) {
    for (bool split : {false, true})
      for (uint8_t alg : {uint8_t{13}, uint8_t{15}}) {
        (void)keys_needed(*keys, KeyPlan{split, alg}, t, now);
        (void)next_event(*keys, KeyPlan{split, alg}, t, now);
        (void)next_event(*keys, KeyPlan{split, alg, true}, t, now, u);
      }
    if (u) {
      auto copy = *keys;
      auto cu = *u;
      (void)ds_gone(copy, cu, t, now);
    }
    for (const auto& k : *keys) {
      (void)key_status(k, now);
      auto copy = *keys;
      (void)ds_seen(copy, k.tag, t, now);
    }
    auto copy = *keys;
    KeyRecord fresh;
    fresh.role = KeyRole::zsk;
    fresh.algorithm = 15;  // an algorithm rollover when the state's keys are of another
    add_key(copy, fresh, t, now);
  }
  return 0;
}
