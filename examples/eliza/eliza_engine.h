#pragma once
// ELIZA in the style of Weizenbaum's 1966 DOCTOR script: ranked keywords,
// decomposition patterns with wildcards, reassembly rules used in rotation,
// pronoun reflection, synonym groups, a memory of earlier remarks and
// fallback replies when nothing in the input is recognised.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace triplex::eliza {

// One conversation's state (memory, reassembly rotation). Not thread-safe; one per conversation.
class Eliza {
 public:
  // The seed picks where each rule's rotation starts, so replies vary between
  // conversations but stay reproducible; seed 0 starts every rule at its first reply.
  explicit Eliza(std::uint64_t seed = 0);

  std::string reply(std::string_view sentence);
  // True for "bye", "goodbye", "quit", "I have to go", ... (any clause of the sentence).
  bool is_goodbye(std::string_view sentence) const;

  // Lines introducing ELIZA to `name` ("Anonymous User" when empty), ending with an
  // invitation to talk.
  static std::vector<std::string> introduce(std::string_view name);

 private:
  using Words = std::vector<std::string>;
  enum class Outcome { kReply, kNextKeyword, kNoMatch };

  Outcome apply_keyword(std::size_t keyword, const Words& words, int depth, std::string& out);
  // Index into `size` choices for a rotation counter, advancing it.
  std::size_t next_in_rotation(std::size_t& counter, std::size_t size);
  void remember(const Words& words);
  std::string fallback();

  std::uint64_t seed_;
  // rotation_[keyword][decomposition] is the next reassembly to try.
  std::vector<std::vector<std::size_t>> rotation_;
  std::size_t memory_rotation_;
  std::size_t fallback_rotation_;
  std::size_t farewell_rotation_;
  std::size_t silence_rotation_;
  std::deque<std::string> memory_;
};

// The script data; exposed so tests can check its consistency.
namespace detail {

// Pattern tokens: "*" zero or more words, "+" one or more, "#" exactly one,
// "@group" one word of a synonym group, anything else a literal word.
// Reassemblies quote the words matched by the n-th pattern token as "(n)",
// reflected ("my" -> "your", ...). "=key" continues with that keyword's rules and
// "newkey" gives up on this keyword in favour of the next one in the input.
struct Decomposition {
  std::string_view pattern;
  std::vector<std::string_view> reassemblies;
};

// `key` is a word or "@group"; higher ranks win when several keywords appear.
struct Keyword {
  std::string_view key;
  int rank;
  std::vector<Decomposition> rules;
};

struct SynonymGroup {
  std::string_view name;  // without the '@'
  std::vector<std::string_view> words;
};

// Replaces whole words (possibly several) of the input before matching.
struct Substitution {
  std::string_view from;
  std::string_view to;
};

struct Script {
  std::vector<Substitution> input_substitutions;
  std::vector<SynonymGroup> synonyms;
  std::vector<Keyword> keywords;
  // When `memory_key` is the top keyword, a remark matching `memory` is stored and
  // brought back later when nothing else in the input is recognised.
  std::string_view memory_key;
  Decomposition memory;
  std::vector<std::string_view> fallbacks;
  std::vector<std::string_view> silences;   // replies to empty input
  std::vector<std::string_view> goodbyes;   // whole-clause phrases ending a conversation
  std::vector<std::string_view> farewells;  // replies to a goodbye
};

const Script& doctor_script();

}  // namespace detail
}  // namespace triplex::eliza
