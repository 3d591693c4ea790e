#include "core/JsonStream.h"
#include "testsupport/TempDir.h"

#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sds {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::TempDir;

struct ReadAll {
    std::vector<JsonElement> elements;
    std::string error;
    bool jsonLines = false;
};

ReadAll readAll(const std::filesystem::path& path) {
    ReadAll result;
    JsonElementReader reader(path);
    result.error = reader.open();
    if (!result.error.empty())
        return result;
    result.jsonLines = reader.isJsonLines();
    while (auto element = reader.next())
        result.elements.push_back(std::move(*element));
    result.error = reader.error();
    return result;
}

// The error for `content` written to `name`, with the file name cut off: ":<line>:<col>: <what>".
std::string errorAfterFile(const std::string& content, const std::string& name = "data.json") {
    TempDir dir;
    const auto path = dir.write(name, content);
    const auto error = readAll(path).error;
    if (error.rfind(path.string(), 0) != 0)
        return "unexpected error prefix: " + error;
    return error.substr(path.string().size());
}

TEST(JsonStream, ReadsTheElementsOfAnArrayWithTheirPositions) {
    TempDir dir;
    const auto result =
        readAll(dir.write("data.json", "[\n  {\"b\": 1, \"a\": \"x\"},\n  {\"b\": 2}, 3, \"s\", null\n]\n"));
    ASSERT_EQ(result.error, "");
    EXPECT_FALSE(result.jsonLines);
    ASSERT_EQ(result.elements.size(), 5U);
    EXPECT_EQ(result.elements[0].index, 0U);
    EXPECT_EQ(result.elements[0].line, 2U);
    EXPECT_EQ(result.elements[0].column, 3U);
    EXPECT_EQ(result.elements[0].value.dump(), R"({"b":1,"a":"x"})"); // key order of the file
    EXPECT_EQ(result.elements[1].line, 3U);
    EXPECT_EQ(result.elements[1].value["b"], 2);
    EXPECT_EQ(result.elements[2].value, 3);
    EXPECT_EQ(result.elements[2].column, 13U);
    EXPECT_EQ(result.elements[3].value, "s");
    EXPECT_TRUE(result.elements[4].value.is_null());
    EXPECT_EQ(result.elements[4].index, 4U);
}

TEST(JsonStream, StringsWithEscapesAndBracketsDoNotEndAnElement) {
    TempDir dir;
    const auto result = readAll(dir.write("data.json", R"([ "a\"]\\", {"k": "}]{[\"", "n": [[], {}]} ])"));
    ASSERT_EQ(result.error, "");
    ASSERT_EQ(result.elements.size(), 2U);
    EXPECT_EQ(result.elements[0].value, "a\"]\\");
    EXPECT_EQ(result.elements[1].value["k"], "}]{[\"");
    EXPECT_EQ(result.elements[1].value["n"].size(), 2U);
}

TEST(JsonStream, SkipsAUtf8ByteOrderMark) {
    TempDir dir;
    const auto result = readAll(dir.write("data.json", "\xEF\xBB\xBF[1, 2]"));
    ASSERT_EQ(result.error, "");
    ASSERT_EQ(result.elements.size(), 2U);
    EXPECT_EQ(result.elements[0].column, 2U);
}

TEST(JsonStream, EmptyArraysHaveNoElements) {
    TempDir dir;
    EXPECT_EQ(readAll(dir.write("a.json", "[]")).elements.size(), 0U);
    const auto spaced = readAll(dir.write("b.json", " \n [ \n ] \n"));
    EXPECT_EQ(spaced.error, "");
    EXPECT_EQ(spaced.elements.size(), 0U);
}

TEST(JsonStream, ReportsStructuralErrorsAtTheirLineAndColumn) {
    EXPECT_EQ(errorAfterFile(""), ":1:1: empty file: expected a JSON array or JSON Lines");
    EXPECT_EQ(errorAfterFile("\n \n"), ":3:1: empty file: expected a JSON array or JSON Lines");
    EXPECT_EQ(errorAfterFile("[\n  {\"a\": 1}\n  {\"a\": 2}\n]"),
              ":3:3: expected ',' or ']' after an element");
    EXPECT_EQ(errorAfterFile("[\n  1,\n  2,\n]"), ":3:4: trailing comma before ']'");
    EXPECT_EQ(errorAfterFile("[1, 2"),
              ":1:6: unexpected end of file: missing ']' to close the array opened at 1:1");
    EXPECT_EQ(errorAfterFile("\n  [1,\n"),
              ":3:1: unexpected end of file: missing ']' to close the array opened at 2:3");
    EXPECT_EQ(errorAfterFile("[1]\nxyz"), ":2:1: unexpected content after the closing ']'");
    EXPECT_EQ(errorAfterFile("[1] ]"), ":1:5: unexpected content after the closing ']'");
    EXPECT_EQ(errorAfterFile("42"), ":1:1: the top-level value is not an array: expected '[' or one JSON "
                                    "value per line");
    EXPECT_EQ(errorAfterFile(" \n  true"), ":2:3: the top-level value is not an array: expected '[' or one "
                                           "JSON value per line");
    EXPECT_EQ(errorAfterFile("{\n  \"a\": 1\n}\n"),
              ":1:1: the top-level value is not an array: expected '[' or one JSON value per line");
}

TEST(JsonStream, ReportsErrorsInsideAnElementAtTheirPositionInTheFile) {
    // "2" where the ':' should be, line 3 column 7.
    auto error = errorAfterFile("[\n {\"a\": 1,\n  \"b\" 2}\n]");
    EXPECT_THAT(error, StartsWith(":3:7: invalid JSON: syntax error while parsing object separator"));
    // A ']' closing a '{': column 13.
    error = errorAfterFile(R"([{"a": [1, 2}])");
    EXPECT_THAT(error, StartsWith(":1:13: invalid JSON: syntax error"));
    // A raw newline in a string, at the end of line 1 (column 6).
    error = errorAfterFile("[\"abc\n\"]");
    EXPECT_THAT(error, StartsWith(":1:6: invalid JSON: syntax error while parsing value - invalid string"));
    // Columns count characters, not bytes.
    error = errorAfterFile("[\"\xC3\xA9\", x]");
    EXPECT_THAT(error, StartsWith(":1:7: invalid JSON: syntax error while parsing value - invalid literal"));
    // A leading comma.
    EXPECT_THAT(errorAfterFile("[\n , 1]"), StartsWith(":2:2: invalid JSON: syntax error"));
    // An element cut off by the end of the file.
    EXPECT_THAT(errorAfterFile("[{\"a\": "), StartsWith(":1:8: invalid JSON: syntax error"));
}

TEST(JsonStream, TheFirstErrorStaysAndNextReturnsNothingAfterIt) {
    TempDir dir;
    JsonElementReader reader(dir.write("data.json", "[1, 2 3, 4]"));
    ASSERT_EQ(reader.open(), "");
    EXPECT_TRUE(reader.next().has_value());
    EXPECT_TRUE(reader.next().has_value());
    EXPECT_FALSE(reader.next().has_value());
    const std::string error = reader.error();
    EXPECT_THAT(error, HasSubstr(":1:7: expected ',' or ']' after an element"));
    EXPECT_FALSE(reader.next().has_value());
    EXPECT_EQ(reader.error(), error);
}

TEST(JsonStream, ReadsJsonLinesSkippingBlankLines) {
    TempDir dir;
    const auto result = readAll(dir.write("rows.jsonl", "{\"a\":1}\n\n  \n{\"a\":2}\r\n  {\"a\":3}"));
    ASSERT_EQ(result.error, "");
    EXPECT_TRUE(result.jsonLines);
    ASSERT_EQ(result.elements.size(), 3U);
    EXPECT_EQ(result.elements[1].value["a"], 2);
    EXPECT_EQ(result.elements[1].line, 4U);
    EXPECT_EQ(result.elements[1].index, 1U);
    EXPECT_EQ(result.elements[2].line, 5U);
    EXPECT_EQ(result.elements[2].column, 3U);
}

TEST(JsonStream, DetectsJsonLinesByContentOrExtension) {
    TempDir dir;
    const auto sniffed = readAll(dir.write("data.json", "{\"a\":1}\n{\"a\":2}\n"));
    EXPECT_EQ(sniffed.error, "");
    EXPECT_TRUE(sniffed.jsonLines);
    EXPECT_EQ(sniffed.elements.size(), 2U);
    const auto strings = readAll(dir.write("strings.json", "\"x\"\n\"y\"\n"));
    EXPECT_TRUE(strings.jsonLines);
    EXPECT_EQ(strings.elements.size(), 2U);
    const auto arrays = readAll(dir.write("arrays.ndjson", "[1]\n[2, 3]\n"));
    EXPECT_EQ(arrays.error, "");
    EXPECT_TRUE(arrays.jsonLines);
    ASSERT_EQ(arrays.elements.size(), 2U);
    EXPECT_EQ(arrays.elements[1].value.size(), 2U);
}

TEST(JsonStream, ReportsJsonLinesErrorsAtTheirLineAndColumn) {
    EXPECT_EQ(errorAfterFile("{\"a\":1}\n{\"a\":2} {\"a\":3}\n", "rows.jsonl"),
              ":2:9: expected the end of the line after a value (JSON Lines hold one value per line)");
    // An object not closed on its line: the error is at the end of that line.
    EXPECT_THAT(errorAfterFile("{\"a\":1}\n{\"a\":2\n{\"a\":3}\n", "rows.jsonl"),
                StartsWith(":2:7: invalid JSON: syntax error"));
    EXPECT_THAT(errorAfterFile("{\"a\":1}\n{\"a\" 2}\n"), StartsWith(":2:6: invalid JSON: syntax error"));
    EXPECT_EQ(errorAfterFile("", "rows.jsonl"), ":1:1: empty file: expected a JSON array or JSON Lines");
}

TEST(JsonStream, MissingFilesAndFoldersAreErrors) {
    TempDir dir;
    JsonElementReader missing(dir / "missing.json");
    EXPECT_THAT(missing.open(), StartsWith((dir / "missing.json").string() + ": cannot open"));
    EXPECT_FALSE(missing.next().has_value());
    JsonElementReader folder(dir.path());
    EXPECT_EQ(folder.open(), dir.path().string() + ": is a folder, not a file");
}

TEST(JsonStream, ElementsLargerThanTheReadBufferAreWhole) {
    TempDir dir;
    const std::string big(200'000, 'x');
    const auto result = readAll(dir.write("data.json", "[\"" + big + "\", {\"k\": \"" + big + "\"}, 7]"));
    ASSERT_EQ(result.error, "");
    ASSERT_EQ(result.elements.size(), 3U);
    EXPECT_EQ(result.elements[0].value.get<std::string>().size(), big.size());
    EXPECT_EQ(result.elements[1].value["k"].get<std::string>().size(), big.size());
    EXPECT_EQ(result.elements[2].column, 400'017U);
}

TEST(JsonStream, StreamsOneHundredThousandElements) {
    TempDir dir;
    const auto path = dir / "big.json";
    constexpr std::size_t count = 100'000;
    {
        std::ofstream out(path, std::ios::binary);
        out << "[\n";
        for (std::size_t i = 0; i < count; ++i)
            out << (i == 0 ? "" : ",\n") << R"(  {"Seeds": "s)" << i % 7 << R"(", "Prompt": "question )" << i
                << R"(", "Completion": "answer \")" << i << R"(\""})";
        out << "\n]\n";
    }
    std::size_t seen = 0;
    bool inOrder = true;
    const auto error = checkJsonElements(path, [&](const JsonElement& element) {
        inOrder = inOrder && element.index == seen && element.line == seen + 2;
        if (seen == 0 || seen == 65'536 || seen == count - 1) {
            EXPECT_EQ(element.value["Prompt"], "question " + std::to_string(seen));
            EXPECT_EQ(element.value["Completion"], "answer \"" + std::to_string(seen) + "\"");
            EXPECT_EQ(element.value["Seeds"], "s" + std::to_string(seen % 7));
        }
        ++seen;
    });
    EXPECT_EQ(error, "");
    EXPECT_EQ(seen, count);
    EXPECT_TRUE(inOrder);
}

TEST(JsonStream, CheckReturnsTheFirstError) {
    TempDir dir;
    std::size_t seen = 0;
    const auto path = dir.write("data.json", "[1,\n2,\n3,]");
    EXPECT_EQ(checkJsonElements(path, [&](const JsonElement&) { ++seen; }),
              path.string() + ":3:2: trailing comma before ']'");
    EXPECT_EQ(seen, 3U);
    EXPECT_EQ(checkJsonElements(dir.write("ok.json", "[1,2]")), "");
}

} // namespace
} // namespace sds
