#include "examples/eliza/eliza_engine.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace triplex::eliza {
namespace {

using Words = std::vector<std::string>;
using Spans = std::vector<std::pair<std::size_t, std::size_t>>;  // [begin, end) per pattern token

// Bounds the matcher's backtracking on very long input; the tail adds nothing.
constexpr std::size_t kMaxClauseWords = 64;
constexpr std::size_t kMemorySize = 5;
constexpr int kMaxGotoDepth = 8;

Words split_words(std::string_view text) {
  Words out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string join(const Words& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

// The script in lookup-friendly form, built once and shared by every conversation.
struct CompiledScript {
  const detail::Script* script;
  std::vector<std::pair<Words, Words>> substitutions;
  std::unordered_map<std::string, std::unordered_set<std::string>> groups;
  std::unordered_map<std::string, std::vector<std::size_t>> keywords_by_word;
  std::unordered_map<std::string, std::size_t> keyword_by_key;
  std::vector<std::vector<Words>> patterns;  // [keyword][decomposition]
  Words memory_pattern;
  std::vector<Words> goodbyes;

  bool in_group(std::string_view group, const std::string& word) const {
    auto it = groups.find(std::string(group));
    return it != groups.end() && it->second.contains(word);
  }
};

const CompiledScript& compiled() {
  static const CompiledScript instance = [] {
    CompiledScript c;
    c.script = &detail::doctor_script();
    const detail::Script& s = *c.script;
    for (const auto& sub : s.input_substitutions) {
      c.substitutions.emplace_back(split_words(sub.from), split_words(sub.to));
    }
    // Longest first so "can not" wins over any single-word rule for "can".
    std::stable_sort(c.substitutions.begin(), c.substitutions.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    for (const auto& group : s.synonyms) {
      auto& set = c.groups[std::string(group.name)];
      for (auto word : group.words) set.emplace(word);
    }
    for (std::size_t k = 0; k < s.keywords.size(); ++k) {
      std::string key(s.keywords[k].key);
      c.keyword_by_key[key] = k;
      if (key.starts_with('@')) {
        for (const auto& word : c.groups[key.substr(1)]) c.keywords_by_word[word].push_back(k);
      } else {
        c.keywords_by_word[key].push_back(k);
      }
      auto& patterns = c.patterns.emplace_back();
      for (const auto& rule : s.keywords[k].rules) patterns.push_back(split_words(rule.pattern));
    }
    c.memory_pattern = split_words(s.memory.pattern);
    for (auto phrase : s.goodbyes) c.goodbyes.push_back(split_words(phrase));
    return c;
  }();
  return instance;
}

bool is_word_char(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// Lowercases, splits into clauses at sentence punctuation and "but" (as the
// original did), drops other punctuation and applies the input substitutions.
std::vector<Words> normalise(std::string_view sentence) {
  std::string text;
  for (std::size_t i = 0; i < sentence.size(); ++i) {
    // Typographic apostrophes (U+2018/U+2019) count as plain ones.
    if (sentence.substr(i, 2) == "\xE2\x80" && i + 2 < sentence.size() &&
        (sentence[i + 2] == '\x98' || sentence[i + 2] == '\x99')) {
      text += '\'';
      i += 2;
      continue;
    }
    text += static_cast<char>(std::tolower(static_cast<unsigned char>(sentence[i])));
  }

  std::vector<Words> raw(1);
  std::string word;
  auto end_word = [&] {
    if (word.empty()) return;
    if (word == "but") {
      raw.emplace_back();
    } else {
      raw.back().push_back(std::move(word));
    }
    word.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (is_word_char(c)) {
      word += static_cast<char>(c);
    } else if ((c == '\'' || c == '-') && !word.empty() && i + 1 < text.size() &&
               is_word_char(text[i + 1])) {
      word += static_cast<char>(c);  // inside a word: "don't", "no-one"
    } else {
      end_word();
      if (std::string_view(".,;:!?").find(static_cast<char>(c)) != std::string_view::npos) {
        raw.emplace_back();
      }
    }
  }
  end_word();

  const CompiledScript& cs = compiled();
  std::vector<Words> clauses;
  for (auto& clause : raw) {
    if (clause.empty()) continue;
    if (clause.size() > kMaxClauseWords) clause.resize(kMaxClauseWords);
    Words out;
    for (std::size_t i = 0; i < clause.size();) {
      bool replaced = false;
      for (const auto& [from, to] : cs.substitutions) {
        if (i + from.size() <= clause.size() &&
            std::equal(from.begin(), from.end(), clause.begin() + i)) {
          out.insert(out.end(), to.begin(), to.end());
          i += from.size();
          replaced = true;
          break;
        }
      }
      if (!replaced) out.push_back(clause[i++]);
    }
    clauses.push_back(std::move(out));
  }
  return clauses;
}

bool match(const CompiledScript& cs, const Words& pattern, std::size_t pi, const Words& words,
           std::size_t wi, Spans& spans) {
  if (pi == pattern.size()) return wi == words.size();
  const std::string& token = pattern[pi];
  if (token == "*" || token == "+") {
    // Shortest first, so a leading "*" stops at the first occurrence of what follows.
    for (std::size_t len = token == "+" ? 1 : 0; wi + len <= words.size(); ++len) {
      spans[pi] = {wi, wi + len};
      if (match(cs, pattern, pi + 1, words, wi + len, spans)) return true;
    }
    return false;
  }
  if (wi == words.size()) return false;
  const std::string& word = words[wi];
  bool ok = token == "#" || token == word ||
            (token.starts_with('@') && cs.in_group(std::string_view(token).substr(1), word));
  if (!ok) return false;
  spans[pi] = {wi, wi + 1};
  return match(cs, pattern, pi + 1, words, wi + 1, spans);
}

std::optional<Spans> match(const CompiledScript& cs, const Words& pattern, const Words& words) {
  Spans spans(pattern.size());
  if (!match(cs, pattern, 0, words, 0, spans)) return std::nullopt;
  return spans;
}

// True when the word after "you" shows it is the subject ("you hate" -> "I hate");
// otherwise it is an object ("want you to" -> "want me to").
bool takes_subject(const std::string& next) {
  static const std::unordered_set<std::string> kVerbs = {
      "are",       "aren't",   "were",      "weren't", "was",        "do",       "don't",
      "did",       "didn't",   "have",      "haven't", "had",        "can",      "can't",
      "could",     "couldn't", "will",      "won't",   "would",      "wouldn't", "should",
      "shouldn't", "must",     "might",     "may",     "shall",      "think",    "know",
      "want",      "need",     "feel",      "like",    "love",       "hate",     "say",
      "seem",      "make",     "get",       "go",      "understand", "care",     "believe",
      "remember",  "see",      "hear",      "mean",    "try",        "look",     "sound",
      "keep",      "listen",   "help",      "talk",    "never",      "always",   "really",
      "just",      "also",     "still",     "often",   "sometimes",  "only",     "even",
      "probably",  "actually", "obviously", "clearly", "seriously",  "truly",    "ever",
      "usually",   "all",
  };
  return kVerbs.contains(next) || (next.size() > 3 && next.ends_with("ed"));
}

// Swaps first and second person so the user's words can be said back to them.
Words reflect(const Words& words) {
  static const std::vector<std::pair<std::pair<std::string_view, std::string_view>,
                                     std::pair<std::string_view, std::string_view>>>
      kPairs = {
          {{"i", "am"}, {"you", "are"}},         {{"am", "i"}, {"are", "you"}},
          {{"you", "are"}, {"I", "am"}},         {{"are", "you"}, {"am", "I"}},
          {{"i", "was"}, {"you", "were"}},       {{"was", "i"}, {"were", "you"}},
          {{"you", "were"}, {"I", "was"}},       {{"were", "you"}, {"was", "I"}},
          {{"i", "wasn't"}, {"you", "weren't"}}, {{"you", "weren't"}, {"I", "wasn't"}},
          {{"you", "aren't"}, {"I'm", "not"}},
      };
  static const std::unordered_map<std::string_view, std::string_view> kSingles = {
      {"i", "you"},      {"me", "you"},          {"my", "your"},
      {"mine", "yours"}, {"myself", "yourself"}, {"your", "my"},
      {"yours", "mine"}, {"yourself", "myself"}, {"am", "are"},
  };
  Words out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (i + 1 < words.size()) {
      auto it = std::find_if(kPairs.begin(), kPairs.end(), [&](const auto& p) {
        return p.first.first == w && p.first.second == words[i + 1];
      });
      if (it != kPairs.end()) {
        out.emplace_back(it->second.first);
        out.emplace_back(it->second.second);
        ++i;
        continue;
      }
    }
    if (w == "you") {
      out.emplace_back(i + 1 < words.size() && takes_subject(words[i + 1]) ? "I" : "me");
    } else if (auto it = kSingles.find(w); it != kSingles.end()) {
      out.emplace_back(it->second);
    } else {
      out.push_back(w);
    }
  }
  return out;
}

// Collapses spaces, removes those before punctuation and capitalises the start.
std::string tidy(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ' ') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      if (std::string_view(".,?!").find(c) != std::string_view::npos && !out.empty() &&
          out.back() == ' ') {
        out.pop_back();
      }
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// Fills "(n)" with the reflected words matched by the n-th pattern token.
std::string render(std::string_view tmpl, const Words& words, const Spans& spans) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    std::size_t close = tmpl.find(')', i);
    if (tmpl[i] == '(' && close != std::string_view::npos && close > i + 1 &&
        std::all_of(tmpl.begin() + i + 1, tmpl.begin() + close,
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      std::size_t n = std::stoul(std::string(tmpl.substr(i + 1, close - i - 1)));
      if (n >= 1 && n <= spans.size()) {
        Words part =
            reflect(Words(words.begin() + spans[n - 1].first, words.begin() + spans[n - 1].second));
        out += join(part);
      }
      i = close;
    } else {
      out += tmpl[i];
    }
  }
  return tidy(out);
}

// Letters and digits only, lowercased: "I am sad!" and "i am sad" compare equal.
std::string skeleton(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// True when words[begin, end) is entirely made of the given filler phrases.
bool only_fillers(const Words& words, std::size_t begin, std::size_t end,
                  const std::vector<Words>& fillers) {
  while (begin < end) {
    auto it = std::find_if(fillers.begin(), fillers.end(), [&](const Words& f) {
      return begin + f.size() <= end && std::equal(f.begin(), f.end(), words.begin() + begin);
    });
    if (it == fillers.end()) return false;
    begin += it->size();
  }
  return true;
}

// A clause is a goodbye when it is a goodbye phrase, give or take politeness
// around it: "ok, bye now", "thanks, goodbye eliza", "i have to go now".
bool says_goodbye(const CompiledScript& cs, const std::vector<Words>& clauses) {
  static const std::vector<Words> kBefore = [] {
    std::vector<Words> v;
    for (auto f : {"ok", "okay", "well", "so", "alright", "right", "anyway", "thanks", "thank you",
                   "oh", "then", "and", "eliza", "now", "hmm", "yes", "no"}) {
      v.push_back(split_words(f));
    }
    return v;
  }();
  static const std::vector<Words> kAfter = [] {
    std::vector<Words> v;
    for (auto f : {"eliza", "now", "then", "for now", "doctor", "again", "for today", "soon",
                   "everyone", "all", "thanks", "thank you", "tomorrow", "friend"}) {
      v.push_back(split_words(f));
    }
    return v;
  }();
  for (const Words& clause : clauses) {
    for (const Words& phrase : cs.goodbyes) {
      for (std::size_t p = 0; p + phrase.size() <= clause.size(); ++p) {
        if (std::equal(phrase.begin(), phrase.end(), clause.begin() + p) &&
            only_fillers(clause, 0, p, kBefore) &&
            only_fillers(clause, p + phrase.size(), clause.size(), kAfter)) {
          return true;
        }
      }
    }
  }
  return false;
}

// Keywords present in the clause, highest rank first, ties in order of appearance.
std::vector<std::size_t> keystack(const CompiledScript& cs, const Words& clause) {
  std::vector<std::size_t> stack;
  for (const auto& word : clause) {
    auto it = cs.keywords_by_word.find(word);
    if (it == cs.keywords_by_word.end()) continue;
    for (std::size_t k : it->second) {
      if (std::find(stack.begin(), stack.end(), k) == stack.end()) stack.push_back(k);
    }
  }
  std::stable_sort(stack.begin(), stack.end(), [&](std::size_t a, std::size_t b) {
    return cs.script->keywords[a].rank > cs.script->keywords[b].rank;
  });
  return stack;
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

Eliza::Eliza(std::uint64_t seed) : seed_(seed) {
  // Seed 0 keeps script order so behaviour is easy to predict.
  std::uint64_t salt = 0;
  auto start = [&] { return seed_ == 0 ? 0 : static_cast<std::size_t>(mix(seed_ ^ mix(++salt))); };
  for (const auto& keyword : compiled().script->keywords) {
    auto& counters = rotation_.emplace_back();
    for (std::size_t d = 0; d < keyword.rules.size(); ++d) counters.push_back(start());
  }
  memory_rotation_ = start();
  fallback_rotation_ = start();
  farewell_rotation_ = start();
  silence_rotation_ = start();
}

std::size_t Eliza::next_in_rotation(std::size_t& counter, std::size_t size) {
  std::size_t index = counter % size;
  counter = index + 1;
  return index;
}

Eliza::Outcome Eliza::apply_keyword(std::size_t keyword, const Words& words, int depth,
                                    std::string& out) {
  const CompiledScript& cs = compiled();
  if (depth > kMaxGotoDepth) return Outcome::kNoMatch;
  const auto& rules = cs.script->keywords[keyword].rules;
  for (std::size_t d = 0; d < rules.size(); ++d) {
    auto spans = match(cs, cs.patterns[keyword][d], words);
    if (!spans) continue;
    const auto& choices = rules[d].reassemblies;
    std::string_view chosen = choices[next_in_rotation(rotation_[keyword][d], choices.size())];
    if (chosen == "newkey") return Outcome::kNextKeyword;
    if (chosen.starts_with('=')) {
      auto target = cs.keyword_by_key.find(std::string(chosen.substr(1)));
      if (target == cs.keyword_by_key.end()) return Outcome::kNoMatch;
      return apply_keyword(target->second, words, depth + 1, out);
    }
    out = render(chosen, words, *spans);
    return Outcome::kReply;
  }
  return Outcome::kNoMatch;
}

void Eliza::remember(const Words& words) {
  const CompiledScript& cs = compiled();
  auto spans = match(cs, cs.memory_pattern, words);
  if (!spans) return;
  const auto& choices = cs.script->memory.reassemblies;
  memory_.push_back(
      render(choices[next_in_rotation(memory_rotation_, choices.size())], words, *spans));
  if (memory_.size() > kMemorySize) memory_.pop_front();
}

std::string Eliza::fallback() {
  const auto& choices = compiled().script->fallbacks;
  return std::string(choices[next_in_rotation(fallback_rotation_, choices.size())]);
}

std::string Eliza::reply(std::string_view sentence) {
  const CompiledScript& cs = compiled();
  const detail::Script& script = *cs.script;
  std::vector<Words> clauses = normalise(sentence);
  if (says_goodbye(cs, clauses)) {
    return std::string(
        script.farewells[next_in_rotation(farewell_rotation_, script.farewells.size())]);
  }
  if (clauses.empty()) {
    return std::string(
        script.silences[next_in_rotation(silence_rotation_, script.silences.size())]);
  }

  // Answer the clause with the strongest keyword; on a tie the earliest, as the
  // original stopped at the first clause that had a keyword.
  const Words* clause = nullptr;
  std::vector<std::size_t> stack;
  for (const Words& candidate : clauses) {
    auto keys = keystack(cs, candidate);
    if (keys.empty()) continue;
    if (clause == nullptr || script.keywords[keys[0]].rank > script.keywords[stack[0]].rank) {
      clause = &candidate;
      stack = std::move(keys);
    }
  }

  std::string out;
  if (clause != nullptr) {
    if (script.keywords[stack[0]].key == script.memory_key) remember(*clause);
    for (std::size_t k : stack) {
      if (apply_keyword(k, *clause, 0, out) == Outcome::kReply) break;
      out.clear();
    }
  }
  if (out.empty() && !memory_.empty()) {
    out = std::move(memory_.front());
    memory_.pop_front();
  }
  if (out.empty()) out = fallback();
  // Never parrot the user's own words back unchanged.
  for (std::size_t i = 0; i < script.fallbacks.size() && skeleton(out) == skeleton(sentence); ++i) {
    out = fallback();
  }
  return out;
}

bool Eliza::is_goodbye(std::string_view sentence) const {
  return says_goodbye(compiled(), normalise(sentence));
}

std::vector<std::string> Eliza::introduce(std::string_view name) {
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) {
    name.remove_prefix(1);
  }
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) {
    name.remove_suffix(1);
  }
  std::string who = name.empty() ? "Anonymous User" : std::string(name);
  return {
      "Hi " + who + ". I'm Eliza.",
      "I am a computer therapist, modelled on the DOCTOR script Joseph Weizenbaum wrote in 1966.",
      "I listen, reflect your words back to you and ask questions to help you explore your "
      "thoughts.",
      "Whenever you want to stop, just say goodbye.",
      "So, what would you like to talk about today?",
  };
}

}  // namespace triplex::eliza
