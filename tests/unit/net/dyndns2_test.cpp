#include "net/dyndns2.h"

#include <gtest/gtest.h>

namespace namae::net {

TEST(DynAnswerWords, EveryAnswerParsesBackFromItsWord) {
  for (DynAnswer a : {DynAnswer::good, DynAnswer::nochg, DynAnswer::badauth, DynAnswer::notfqdn,
                      DynAnswer::nohost, DynAnswer::numhost, DynAnswer::abuse, DynAnswer::badagent,
                      DynAnswer::dnserr, DynAnswer::server_error})
    EXPECT_EQ(parse_dyn_answer(dyn_answer_text(a)), a) << dyn_answer_text(a);
}

TEST(DynAnswerWords, FirstWordOfTheLineOnly) {
  EXPECT_EQ(parse_dyn_answer("good 192.0.2.1"), DynAnswer::good);
  EXPECT_EQ(parse_dyn_answer("nochg 2001:db8::1"), DynAnswer::nochg);
  EXPECT_EQ(parse_dyn_answer("911"), DynAnswer::server_error);
  EXPECT_EQ(parse_dyn_answer("goodbye"), std::nullopt);
  EXPECT_EQ(parse_dyn_answer(""), std::nullopt);
  EXPECT_EQ(parse_dyn_answer(" good"), std::nullopt);
}

}  // namespace namae::net
