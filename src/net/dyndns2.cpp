#include "net/dyndns2.h"

namespace namae::net {

namespace {
constexpr DynAnswer kAnswers[] = {
    DynAnswer::good,    DynAnswer::nochg,    DynAnswer::badauth, DynAnswer::notfqdn,
    DynAnswer::nohost,  DynAnswer::numhost,  DynAnswer::abuse,   DynAnswer::badagent,
    DynAnswer::dnserr,  DynAnswer::server_error,
};
}  // namespace

const char* dyn_answer_text(DynAnswer a) {
  switch (a) {
    case DynAnswer::good:
      return "good";
    case DynAnswer::nochg:
      return "nochg";
    case DynAnswer::badauth:
      return "badauth";
    case DynAnswer::notfqdn:
      return "notfqdn";
    case DynAnswer::nohost:
      return "nohost";
    case DynAnswer::numhost:
      return "numhost";
    case DynAnswer::abuse:
      return "abuse";
    case DynAnswer::badagent:
      return "badagent";
    case DynAnswer::dnserr:
      return "dnserr";
    case DynAnswer::server_error:
      return "911";
  }
  return "911";
}

std::optional<DynAnswer> parse_dyn_answer(std::string_view line) {
  std::string_view word = line.substr(0, line.find_first_of(" \t\r\n"));
  for (DynAnswer a : kAnswers)
    if (word == dyn_answer_text(a)) return a;
  return std::nullopt;
}

}  // namespace namae::net
