#include "dns/record.h"

namespace namae::dns {

std::string Record::to_text() const {
  return owner.to_text() + " " + std::to_string(ttl) + " " + class_to_text(rclass) + " " +
         type_to_text(type) + " " + rdata::to_text(type, rdata);
}

std::vector<Record> RRset::records() const {
  std::vector<Record> out;
  out.reserve(rdata.size());
  for (const auto& rd : rdata) out.push_back(Record{owner, type, rclass, ttl, rd});
  return out;
}

}  // namespace namae::dns
