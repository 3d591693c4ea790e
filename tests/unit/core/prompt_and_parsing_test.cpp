#include "core/PromptBuilder.h"
#include "core/RowParsing.h"

#include <gtest/gtest.h>

namespace sds {
namespace {

TEST(PromptBuilder, FollowsTheReferenceOrder) {
    BatchRequestInput input;
    input.seed = "Web Development with Flask";
    input.count = 3;
    input.userPrompt = "USER PROMPT";
    input.examples = {{"EXAMPLE Q", "EXAMPLE S"}};
    input.databaseSchema = "CREATE TABLE t(x INT);";
    input.doNotRepeat = {"OLD QUESTION"};
    const auto prompt = buildBatchPrompt(input);
    const std::string& u = prompt.user;
    const auto create = u.find("Create 3 distinct");
    const auto topic = u.find("topic \"Web Development with Flask\"");
    const auto user = u.find("USER PROMPT");
    const auto schema = u.find("CREATE TABLE t(x INT);");
    const auto old = u.find("- OLD QUESTION");
    const auto example = u.find("EXAMPLE Q");
    ASSERT_NE(create, std::string::npos);
    ASSERT_NE(topic, std::string::npos);
    EXPECT_LT(create, user);
    EXPECT_LT(user, schema);
    EXPECT_LT(schema, old);
    EXPECT_LT(old, example);
    EXPECT_NE(prompt.system.find("JSON"), std::string::npos);
}

TEST(PromptBuilder, DoNotRepeatKeepsOnlyTheNewest) {
    BatchRequestInput input;
    input.seed = "s";
    for (int i = 0; i < 150; ++i)
        input.doNotRepeat.push_back("question number " + std::to_string(i) + ".");
    const auto prompt = buildBatchPrompt(input, PromptOptions{100, 10});
    EXPECT_EQ(prompt.user.find("question number 49."), std::string::npos);
    EXPECT_NE(prompt.user.find("question number 50."), std::string::npos);
    EXPECT_NE(prompt.user.find("question number 149."), std::string::npos);
}

TEST(RowsSchema, BoundsItemsOnlyWhenAsked) {
    const auto bounded = rowsSchema(4, true);
    EXPECT_EQ(bounded["properties"]["items"]["minItems"], 4);
    EXPECT_EQ(bounded["properties"]["items"]["maxItems"], 4);
    EXPECT_FALSE(rowsSchema(4, false)["properties"]["items"].contains("minItems"));
    EXPECT_EQ(bounded["required"][0], "items");
}

TEST(ExtractJson, FromCodeFenceWithLeadingProseAndTrailingCommas) {
    const std::string text =
        "Sure! Here are your items:\n\n```json\n{\"items\": [\n  {\"question\": \"Q1\", "
        "\"solution\": \"S1\"},\n  {\"question\": \"Q2\", \"solution\": \"S2\",},\n]}\n```\nHope "
        "this helps.";
    const auto parsed = parseItems(text);
    ASSERT_TRUE(parsed.error.empty()) << parsed.error;
    ASSERT_EQ(parsed.items.size(), 2U);
    EXPECT_EQ(parsed.items[1].question, "Q2");
    EXPECT_EQ(parsed.items[1].solution, "S2");
}

TEST(ExtractJson, BareArrayAfterProse) {
    const auto parsed = parseItems("Items: [{\"question\": \"a\", \"solution\": \"b [x]\"}] done");
    ASSERT_EQ(parsed.items.size(), 1U);
    EXPECT_EQ(parsed.items[0].solution, "b [x]");
}

TEST(ExtractJson, BracesInsideStringsDoNotConfuseTheScanner) {
    const auto parsed =
        parseItems(R"(x {"items": [{"question": "What does {} mean?", "solution": "a \"dict\" }"}]})");
    ASSERT_EQ(parsed.items.size(), 1U);
    EXPECT_EQ(parsed.items[0].question, "What does {} mean?");
}

TEST(ExtractJson, ItemsMissingFieldsAreCountedNotKept) {
    const auto parsed = parseItems(
        R"({"items": [{"question": "a", "solution": "b"}, {"question": "c"}, {"question": "", "solution": "d"}, 5]})");
    EXPECT_EQ(parsed.items.size(), 1U);
    EXPECT_EQ(parsed.invalidItems, 3);
}

TEST(ExtractJson, PlaceholderItemsAreNotRows) {
    const auto parsed =
        parseItems(R"({"items": [{"question": "...", "solution": "..."}, {"question": "Q", "solution": " - "},
                                                 {"question": "Why?", "solution": "Because of caching."}]})");
    ASSERT_EQ(parsed.items.size(), 1U);
    EXPECT_EQ(parsed.items[0].question, "Why?");
    EXPECT_EQ(parsed.invalidItems, 2);
}

TEST(ExtractJson, NoJsonAtAll) {
    const auto parsed = parseItems("I cannot help with that.");
    EXPECT_TRUE(parsed.items.empty());
    EXPECT_FALSE(parsed.error.empty());
}

TEST(NormalizedQuestion, IgnoresCaseSpacingAndPunctuation) {
    EXPECT_EQ(normalizedQuestion("How do I  sort a List?"), normalizedQuestion("how do i sort a list"));
    EXPECT_NE(normalizedQuestion("How do I sort a list?"), normalizedQuestion("How do I sort a dict?"));
}

} // namespace
} // namespace sds
