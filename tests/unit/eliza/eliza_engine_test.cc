#include "examples/eliza/eliza_engine.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace triplex::eliza {
namespace {

bool is_sentence(const std::string& s) {
  return !s.empty() && std::isupper(static_cast<unsigned char>(s.front())) &&
         (s.back() == '.' || s.back() == '?' || s.back() == '!');
}

std::string letters(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
  }
  return out;
}

TEST(ElizaReflection, SwapsFirstAndSecondPerson) {
  Eliza eliza;
  EXPECT_EQ(eliza.reply("My car is broken"), "Your car is broken?");
  EXPECT_EQ(eliza.reply("I want you to listen to me"),
            "What would it mean to you if you got me to listen to you?");
}

TEST(ElizaReflection, YouBecomesIOrMeDependingOnRole) {
  Eliza eliza;
  EXPECT_EQ(eliza.reply("You hate me"), "Why do you think I hate you?");
  EXPECT_EQ(eliza.reply("Why don't you like me?"), "Do you believe I don't like you?");
  EXPECT_EQ(Eliza().reply("I think you are unfair to me"), "Why do you think I am unfair to you?");
  EXPECT_EQ(Eliza().reply("Are you afraid of me?"),
            "Why are you interested in whether I am afraid of you or not?");
}

TEST(ElizaDecomposition, ReassemblesCapturedParts) {
  EXPECT_EQ(Eliza().reply("I am sad"), "I am sorry to hear that you are sad.");
  EXPECT_EQ(Eliza().reply("I am very depressed"),
            "I am sorry to hear that you are very depressed.");
  EXPECT_EQ(Eliza().reply("I need a long holiday"),
            "What would it mean to you if you got a long holiday?");
  EXPECT_EQ(Eliza().reply("I feel happy"), "What makes you feel happy just now?");
  EXPECT_EQ(Eliza().reply("I remember my first school"),
            "Do you often think of your first school?");
  EXPECT_EQ(Eliza().reply("Everybody hates me"), "Really, everybody?");
}

TEST(ElizaDecomposition, SynonymGroupsMatchEveryMember) {
  // "mum" and "dad" are both in the family group; "unhappy" in the sad group.
  EXPECT_EQ(Eliza().reply("My mum hates me"), "Who else in your family hates you?");
  EXPECT_EQ(Eliza().reply("My dad ignores me"), "Who else in your family ignores you?");
  EXPECT_EQ(Eliza().reply("I am unhappy"), "I am sorry to hear that you are unhappy.");
  EXPECT_EQ(Eliza().reply("I believe I am ill"), "Do you really think so?");
}

TEST(ElizaKeywords, HigherRankWins) {
  // "computer" (50) beats "i"; "my" (2) beats "i"; "dreamed" (4) beats "my".
  EXPECT_EQ(Eliza().reply("I think the computer hates me"), "Do computers worry you?");
  EXPECT_EQ(Eliza().reply("I am sad about my mother"), "Tell me more about your family.");
  EXPECT_EQ(Eliza().reply("I dreamed about my mother"), "Really, about your mother?");
}

TEST(ElizaKeywords, NewkeyAndGotoReachOtherKeywords) {
  // "like" outranks "i" but gives way when it is not a comparison.
  EXPECT_EQ(Eliza().reply("I like cheese"), "You say you like cheese?");
  // "remind" hands over to the rules of "alike".
  EXPECT_EQ(Eliza().reply("You remind me of my father"), "In what way?");
  EXPECT_EQ(Eliza().reply("Why are people so cruel?"), "Why do you ask?");
}

TEST(ElizaRotation, CyclesThroughReassemblies) {
  Eliza eliza;
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) got.push_back(eliza.reply("I am sad"));
  EXPECT_EQ(got[0], "I am sorry to hear that you are sad.");
  EXPECT_EQ(got[1], "Do you think that coming here will help you not to be sad?");
  EXPECT_EQ(got[2], "I'm sure it's not pleasant to be sad.");
  EXPECT_EQ(got[3], "Can you explain what made you sad?");
  EXPECT_EQ(got[4], got[0]);
}

TEST(ElizaRotation, EachDecompositionKeepsItsOwnPlace) {
  Eliza eliza;
  EXPECT_EQ(eliza.reply("I am sad"), "I am sorry to hear that you are sad.");
  EXPECT_EQ(eliza.reply("I am happy"), "How have I helped you to be happy?");
  EXPECT_EQ(eliza.reply("I am sad"), "Do you think that coming here will help you not to be sad?");
}

TEST(ElizaMemory, RecallsEarlierRemarkWhenNothingMatches) {
  Eliza eliza;
  EXPECT_EQ(eliza.reply("My boyfriend made me come here"), "Your boyfriend made you come here?");
  EXPECT_EQ(eliza.reply("Bullies."), "Earlier you said your boyfriend made you come here.");
  // Recalled once; afterwards the ordinary fallbacks take over.
  EXPECT_EQ(eliza.reply("Bullies."), "I am not sure I understand you fully.");
}

TEST(ElizaMemory, OnlyRemembersWhenMyIsTheTopKeyword) {
  Eliza eliza;
  EXPECT_EQ(eliza.reply("The computer knows my secret"), "Do computers worry you?");
  EXPECT_EQ(eliza.reply("Bullies."), "I am not sure I understand you fully.");
}

TEST(ElizaMemory, KeepsTheMostRecentRemarksInOrder) {
  Eliza eliza;
  for (const char* thing : {"car", "dog", "cat", "job", "house", "boss", "bike"}) {
    eliza.reply(std::string("My ") + thing + " is gone");
  }
  std::vector<std::string> recalled;
  for (int i = 0; i < 6; ++i) recalled.push_back(eliza.reply("Nothing."));
  EXPECT_NE(recalled[0].find("your cat is gone"), std::string::npos) << recalled[0];
  EXPECT_NE(recalled[4].find("your bike is gone"), std::string::npos) << recalled[4];
  EXPECT_EQ(recalled[5], "I am not sure I understand you fully.");
}

TEST(ElizaFallback, RotatesWhenNoKeywordMatches) {
  Eliza eliza;
  EXPECT_EQ(eliza.reply("The weather is nice."), "I am not sure I understand you fully.");
  EXPECT_EQ(eliza.reply("The weather is nice."), "Please go on.");
  EXPECT_EQ(eliza.reply("The weather is nice."), "What does that suggest to you?");
}

TEST(ElizaFallback, NeverParrotsTheInput) {
  Eliza eliza;
  eliza.reply("Xyzzy");  // uses the first fallback, so the next would be "Please go on."
  EXPECT_EQ(eliza.reply("please go on"), "What does that suggest to you?");
}

TEST(ElizaFallback, EmptyInputIsAPrompt) {
  Eliza eliza;
  EXPECT_EQ(eliza.reply(""), "You seem quiet. What is on your mind?");
  EXPECT_TRUE(is_sentence(eliza.reply("   ?!  ")));
}

TEST(ElizaGoodbye, DetectsGoodbyes) {
  Eliza eliza;
  for (const char* s :
       {"bye", "Goodbye!", "Bye bye, Eliza.", "OK, I have to go now.", "quit", "Thanks, goodbye",
        "See you later!", "  GOODBYE  ", "I'm leaving.", "Well... bye", "good night"}) {
    EXPECT_TRUE(eliza.is_goodbye(s)) << s;
  }
  for (const char* s : {"I said goodbye to my mother", "Why do you quit?", "", "Hello", "I am sad",
                        "Byebye is not a word"}) {
    EXPECT_FALSE(eliza.is_goodbye(s)) << s;
  }
}

TEST(ElizaGoodbye, ReplyIsAFarewell) {
  Eliza eliza;
  EXPECT_EQ(eliza.reply("Goodbye!"), "Goodbye. It was nice talking to you.");
  std::string second = eliza.reply("bye");
  EXPECT_TRUE(is_sentence(second));
  EXPECT_NE(second, "Goodbye. It was nice talking to you.");
}

TEST(ElizaIntroduce, GreetsByNameAndInvitesToTalk) {
  auto lines = Eliza::introduce("Alice");
  ASSERT_GE(lines.size(), 3u);
  ASSERT_LE(lines.size(), 6u);
  EXPECT_EQ(lines.front(), "Hi Alice. I'm Eliza.");
  EXPECT_NE(lines.back().find("talk"), std::string::npos);
  EXPECT_EQ(lines.back().back(), '?');
  for (const auto& line : lines) EXPECT_TRUE(is_sentence(line)) << line;
}

TEST(ElizaIntroduce, EmptyNameIsAnonymous) {
  EXPECT_EQ(Eliza::introduce("").front(), "Hi Anonymous User. I'm Eliza.");
  EXPECT_EQ(Eliza::introduce("   ").front(), "Hi Anonymous User. I'm Eliza.");
  EXPECT_EQ(Eliza::introduce(" Bob ").front(), "Hi Bob. I'm Eliza.");
}

TEST(ElizaInput, IgnoresCaseWhitespaceAndPunctuation) {
  const std::string expected = "I am sorry to hear that you are sad.";
  EXPECT_EQ(Eliza().reply("  I AM    sad!!! "), expected);
  EXPECT_EQ(Eliza().reply("i'm sad..."), expected);
  EXPECT_EQ(Eliza().reply("I\xE2\x80\x99m \"sad\""), expected);  // typographic apostrophe
  EXPECT_EQ(Eliza().reply("I\tam\nsad"), "I am sorry to hear that you are sad.");
}

TEST(ElizaInput, AnswersTheClauseWithTheBestKeyword) {
  // The first clause has no keyword, so the second one is used.
  EXPECT_EQ(Eliza().reply("Well, I am sad."), "I am sorry to hear that you are sad.");
  // A greeting gives way to what follows it.
  EXPECT_EQ(Eliza().reply("Hello, I am sad"), "I am sorry to hear that you are sad.");
  EXPECT_EQ(Eliza().reply("I am sad. Are computers smart?"), "Do computers worry you?");
  // "but" separates clauses as well.
  EXPECT_EQ(Eliza().reply("You are nice but my mother hates me"),
            "Who else in your family hates you?");
  // Only the chosen clause is quoted back.
  EXPECT_EQ(Eliza().reply("I need a rest; the weather is awful"),
            "What would it mean to you if you got a rest?");
}

TEST(ElizaReply, AlwaysAProperSentenceAndNeverAnEcho) {
  const std::vector<std::string> inputs = {
      "Men are all alike.",
      "They're always bugging us about something or other.",
      "Well, my boyfriend made me come here.",
      "He says I'm depressed much of the time.",
      "It's true. I am unhappy.",
      "Perhaps I could learn to get along with my mother.",
      "My father is afraid of everybody.",
      "You are not very aggressive.",
      "Bullies.",
      "I can't sleep",
      "I don't know",
      "Yes",
      "No",
      "Sorry",
      "Hello",
      "What?",
      "Why?",
      "Because",
      "If I were rich",
      "I was a child",
      "Were you happy?",
      "Can I go?",
      "My name is Ann",
      "Hablo espanol",
      "I love you",
      "You",
      "I",
      "my",
      "your",
      "!!!",
      "",
      "Please go on.",
      "Tell me more about that.",
      "What do you think?",
      "Am I mad?",
      "I feel",
      "I wish I knew",
      "Nobody",
      "Do you remember me?",
      "It is like a dream",
  };
  for (std::uint64_t seed : {0u, 1u, 2u, 3u, 99u}) {
    Eliza eliza(seed);
    for (int round = 0; round < 2; ++round) {
      for (const auto& input : inputs) {
        std::string out = eliza.reply(input);
        EXPECT_TRUE(is_sentence(out)) << "seed " << seed << " '" << input << "' -> '" << out << "'";
        EXPECT_NE(letters(out), letters(input)) << "seed " << seed << " '" << input << "'";
        EXPECT_EQ(out.find("  "), std::string::npos) << out;
        EXPECT_EQ(out.find(" ?"), std::string::npos) << out;
        EXPECT_EQ(out.find('('), std::string::npos) << out;
      }
    }
  }
}

TEST(ElizaReply, VeryLongInputIsHandled) {
  std::string input;
  for (int i = 0; i < 5000; ++i) input += "I think you are my mother and ";
  EXPECT_TRUE(is_sentence(Eliza().reply(input)));
}

TEST(ElizaSeed, ReproducibleButVariedBetweenConversations) {
  auto run = [](std::uint64_t seed) {
    Eliza eliza(seed);
    std::vector<std::string> out;
    for (const char* s : {"I am sad", "My mother hates me", "Hmm", "You are a computer"}) {
      out.push_back(eliza.reply(s));
    }
    return out;
  };
  EXPECT_EQ(run(42), run(42));
  std::set<std::string> first_replies;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) first_replies.insert(run(seed)[0]);
  EXPECT_GE(first_replies.size(), 3u);
}

// Every group, goto target and "(n)" used by the script must exist.
TEST(ElizaScript, IsConsistent) {
  const detail::Script& script = detail::doctor_script();
  std::set<std::string> groups;
  for (const auto& g : script.synonyms) {
    EXPECT_FALSE(g.words.empty()) << g.name;
    groups.emplace(g.name);
  }
  std::set<std::string> keys;
  for (const auto& k : script.keywords) keys.emplace(k.key);
  EXPECT_TRUE(keys.contains(std::string(script.memory_key)));

  auto check = [&](const detail::Decomposition& d, std::string_view where) {
    std::istringstream in{std::string(d.pattern)};
    std::vector<std::string> tokens;
    for (std::string t; in >> t;) tokens.push_back(t);
    ASSERT_FALSE(tokens.empty()) << where;
    for (const auto& t : tokens) {
      if (t.front() == '@') {
        EXPECT_TRUE(groups.contains(t.substr(1))) << where << ": " << t;
      }
    }
    ASSERT_FALSE(d.reassemblies.empty()) << where << ": " << d.pattern;
    for (std::string_view r : d.reassemblies) {
      if (r == "newkey") continue;
      if (r.front() == '=') {
        EXPECT_TRUE(keys.contains(std::string(r.substr(1)))) << where << ": " << r;
        continue;
      }
      EXPECT_TRUE(is_sentence(std::string(r))) << r;
      for (std::size_t open = r.find('('); open != std::string_view::npos;
           open = r.find('(', open + 1)) {
        std::size_t n = std::stoul(std::string(r.substr(open + 1)));
        EXPECT_GE(n, 1u) << r;
        EXPECT_LE(n, tokens.size()) << where << ": " << r;
      }
    }
  };
  for (const auto& k : script.keywords) {
    if (k.key.front() == '@') {
      EXPECT_TRUE(groups.contains(std::string(k.key.substr(1)))) << k.key;
    }
    ASSERT_FALSE(k.rules.empty()) << k.key;
    for (const auto& d : k.rules) check(d, k.key);
  }
  check(script.memory, "memory");
  EXPECT_FALSE(script.fallbacks.empty());
  EXPECT_FALSE(script.silences.empty());
  EXPECT_FALSE(script.farewells.empty());
  EXPECT_FALSE(script.goodbyes.empty());
}

}  // namespace
}  // namespace triplex::eliza
