#include "core/Template.h"
#include "core/quality/RowQualityGate.h"
#include "testsupport/TextFixtures.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sds::quality {
namespace {

using testing::repeated;

nlohmann::json templateJson(const std::string& id) {
    std::ifstream in(std::filesystem::path(SDS_SOURCE_TEMPLATES_DIR) / (id + ".json"));
    return nlohmann::json::parse(in);
}

std::vector<Example> templateExamples(const std::string& id) {
    std::vector<Example> examples;
    const auto json = templateJson(id);
    for (const auto& example : json.at("examples"))
        examples.push_back(
            {example.at("question").get<std::string>(), example.at("solution").get<std::string>()});
    return examples;
}

// Rows the embedded Gemma 3 270M model really wrote (demo runs of Code Generation and prompt experiments).
const std::string kBracketTail =
    "How long did you study for the exam? 3 hours or less.}}],}]}]]})}}}]}})}}}}}}}" +
    repeated("}])}}]", 40) + "?";
const std::string kEllipsisQuestion =
    "What is Python? (answer): 20 points}],  ...   ...  ..." + repeated("  ...", 120) + "?";
const std::string kLoopingCode = "```python solution = int(input()) #number in the set {1,2,3,4? " +
                                 repeated("solution = int(input()) #number in the set {1,2,3,4? ", 7) +
                                 "``` Python Code";
const std::string kEchoedStatement =
    "Flask is a lightweight and highly available web application framework written in Python.";

TEST(RowQualityGate, RejectsTheDegenerateRowsOfTheEmbeddedModel) {
    const RowQualityGate gate(ValidatorKind::Code, templateExamples("code_generation"));
    const std::string goodAnswer = "```python\nprint('ok')\n```";
    EXPECT_EQ(gate.check(kBracketTail, goodAnswer), RejectionReason::Repetition);
    EXPECT_EQ(gate.check(kEllipsisQuestion, goodAnswer), RejectionReason::Repetition);
    EXPECT_EQ(gate.check("Which algorithm would be more efficient for the following problem?", kLoopingCode),
              RejectionReason::Looping);
    EXPECT_EQ(gate.check("How do you check an answer in Python?", "is_valid_answer()"),
              RejectionReason::NoCode);
    EXPECT_EQ(gate.check("How to implement linear programming for operations research using MATLAB?",
                         "1019962845739963"),
              RejectionReason::NoCode);
    EXPECT_EQ(gate.check("What is Web Development with Flask?",
                         "a Python program that does not follow the format of this example, please see: "
                         "https://www.python-react-redux.it/docs/index.html [9] [10] ... [15] (10)}], ["),
              RejectionReason::NoCode);
    EXPECT_EQ(gate.check(kEchoedStatement, kEchoedStatement), RejectionReason::Echo);
}

TEST(RowQualityGate, RejectsControlCharactersAndSpecialTokenText) {
    const RowQualityGate gate(ValidatorKind::Code, {});
    // A demo row's answer: a stray shift-out character (U+000E) in its trailing prose.
    EXPECT_EQ(gate.check("How do I type this python?",
                         "```python\ndef answer(i):\n    return i\n```\nIf you want to print out the answer: "
                         "\x0e example, output is this"),
              RejectionReason::Garbled);
    EXPECT_EQ(gate.check("What does <start_of_image> mean in Flask?", "```python\nprint(1)\n```"),
              RejectionReason::Garbled);
    EXPECT_EQ(gate.check("How do you end a chat turn?", "```python\nturn = '<end_of_turn>'\n```"),
              RejectionReason::Garbled);
    EXPECT_EQ(gate.check("How do you print a tab?", "```python\r\nprint('a\\tb')\t# tab\r\n```"),
              RejectionReason::None)
        << "tabs and line ends are text";
}

TEST(RowQualityGate, EachDegenerateShapeHasItsReason) {
    EXPECT_EQ(degenerateTextReason("Sure" + repeated("!", 20)), RejectionReason::Repetition);
    EXPECT_EQ(degenerateTextReason("The answer is " + repeated("a", 45)), RejectionReason::Repetition);
    EXPECT_EQ(degenerateTextReason("Text" + repeated(" ", 120) + "more"), RejectionReason::Repetition);
    EXPECT_EQ(degenerateTextReason("(" + repeated("(", 30) + "x"), RejectionReason::Repetition)
        << "a flood of opening brackets";
    EXPECT_EQ(degenerateTextReason(repeated("[]", 40)), RejectionReason::Repetition)
        << "balanced, but 80 brackets with nothing between them";
    EXPECT_EQ(degenerateTextReason(repeated("-=", 70)), RejectionReason::Repetition);

    EXPECT_EQ(degenerateTextReason("is_valid_answer() " + repeated("is_valid_answer() ", 7)),
              RejectionReason::Looping);
    EXPECT_EQ(degenerateTextReason(repeated("I love Python. ", 5)), RejectionReason::Looping);
    EXPECT_EQ(degenerateTextReason(repeated("0 ", 40)), RejectionReason::Looping)
        << "numbers may repeat longer than words, but not forever";
    EXPECT_EQ(degenerateTextReason(repeated("answer the question and the answer is answer ", 6)),
              RejectionReason::Looping);
    EXPECT_EQ(degenerateTextReason("is_valid_answer() and " + repeated("is_valid_answer() or x ", 8)),
              RejectionReason::Looping)
        << "one word making up most of the text, with other words between its copies";

    EXPECT_EQ(degenerateTextReason("?! ?! ;; ,, .. :: -- ?? !! ,. ;: a"), RejectionReason::Punctuation);
    EXPECT_EQ(degenerateTextReason("'' \"\" '' \"\" ,, ;; ?? !! 1"), RejectionReason::Punctuation);
}

TEST(RowQualityGate, KeepsCodeWithManyBracketsAndOtherLegitimateText) {
    const std::vector<std::string> legitimate = {
        // Nested dict / JSON literals.
        "```python\nconfig = {'db': {'hosts': [{'name': 'a', 'ports': [1, 2]}, {'name': 'b', 'ports': "
        "[3]}]}}\n"
        "print(config['db']['hosts'][0]['ports'][1])\n```",
        "```json\n{\"a\": {\"b\": {\"c\": {\"d\": {\"e\": [1, [2, [3, [4]]]]}}}}}\n```",
        "{\"a\": {\"b\": [1, 2]}}",
        "```json\n{\n  \"l1\": {\n    \"l2\": {\n      \"l3\": {\n        \"l4\": [\n          {\"v\": 1}\n  "
        "      ]\n"
        "      }\n    }\n  }\n}\n```",
        // Lisp-like code closes many parentheses at once.
        "```lisp\n(defun fact (n)\n  (if (<= n 1)\n      1\n      (* n (fact (- n 1)))))\n```",
        "```scheme\n(define (nest x) (list (list (list (list (list (list x)))))))\n```",
        "```clojure\n(->> xs (map inc) (filter even?) (reduce +))\n```",
        // Rules, banners and data that repeat on purpose.
        "```python\n# " + repeated("-", 77) + "\n# Section\n# " + repeated("=", 77) + "\nx = 1\n```",
        "```cpp\n" + repeated("/", 80) + "\nint main() { return 0; }\n```",
        "```python\nmonths = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\ngrid = [[0, 0, 0], [0, 0, 0], [0, 0, "
        "0]]\n```",
        "```python\nbuckets = [[], [], [], [], [], [], [], []]\n```",
        "```python\nZERO = '" + repeated("0", 32) + "'\nprint('=' * 40)\n```",
        "| Method | Time | Space |\n| --- | --- | --- |\n| sort | O(n log n) | O(n) |\n| scan | O(n) | O(1) "
        "|",
        "```python\nassert f(1) == 1\nassert f(2) == 2\nassert f(3) == 6\nassert f(4) == 24\nassert f(5) == "
        "120\n```",
        "Use `print('Loading...')` and then `print('Done!')`.",
        "```python\nfor i in range(3):\n    for j in range(3):\n        for k in range(3):\n            "
        "print(i, j, "
        "k)\n```",
        "Das Ergebnis ist größer als erwartet, weil die Schleife zweimal läuft.",
        "素数を求めるには、エラトステネスの篩を使います。",
    };
    for (const auto& text : legitimate)
        EXPECT_EQ(degenerateTextReason(text), RejectionReason::None) << text;
}

TEST(RowQualityGate, TheTemplatesOwnExamplesPassTheirGate) {
    int checked = 0;
    for (const std::string id : {"code_generation", "text_to_sql", "custom"}) {
        const auto json = templateJson(id);
        const RowQualityGate gate(json.value("validator", ""), {});
        // The few-shot examples, and the judge's scored examples (good and bad answers alike).
        auto examples = json.at("examples");
        if (json.contains("evaluation"))
            for (const auto& scored : json["evaluation"].value("examples", nlohmann::json::array()))
                examples.push_back(scored);
        for (const auto& example : examples) {
            EXPECT_EQ(gate.check(example.at("question").get<std::string>(),
                                 example.at("solution").get<std::string>()),
                      RejectionReason::None)
                << id << ": " << example.at("question");
            ++checked;
        }
    }
    EXPECT_GE(checked, 9);
}

TEST(RowQualityGate, CodeAndSqlAreRequiredOnlyWhereTheTemplateNeedsThem) {
    const RowQualityGate code(ValidatorKind::Code, {});
    const RowQualityGate sql(ValidatorKind::Sql, {});
    const RowQualityGate none(ValidatorKind::None, {});
    const std::string question = "How do you list the employees by salary?";

    EXPECT_EQ(code.check(question, "Sort them by salary, highest first."), RejectionReason::NoCode);
    EXPECT_EQ(code.check(question, "Like this:\n```python\n\n   \n```\nDone."), RejectionReason::NoCode)
        << "an empty block is no code";
    EXPECT_EQ(code.check(question, "```python\nsorted(rows, key=lambda r: -r.salary)\n```"),
              RejectionReason::None);
    EXPECT_EQ(code.check(question, "```\nls -l | sort\n```"), RejectionReason::None)
        << "code in another language is still code (validation will not judge it)";

    EXPECT_EQ(sql.check(question, "Sort them by salary, highest first."), RejectionReason::NoSql);
    EXPECT_EQ(sql.check(question, "```sql\nthe employees, sorted\n```"), RejectionReason::NoSql)
        << "a sql fence around prose is no SQL";
    EXPECT_EQ(sql.check(question, "```python\nprint(rows)\n```"), RejectionReason::NoSql);
    EXPECT_EQ(
        sql.check(question, "```sql\n-- highest first\nSELECT * FROM employees ORDER BY salary DESC;\n```"),
        RejectionReason::None);
    EXPECT_EQ(sql.check(question, "SELECT first_name FROM employees ORDER BY salary DESC;"),
              RejectionReason::None)
        << "a bare statement";

    EXPECT_EQ(none.check(question, "Sort them by salary, highest first."), RejectionReason::None);
    EXPECT_EQ(RowQualityGate("python", {}).check(question, "No code."), RejectionReason::None)
        << "an unknown validator asks for nothing";
}

TEST(RowQualityGate, AnswersCopiedFromTheQuestionOrTheExamples) {
    const auto examples = templateExamples("code_generation");
    const RowQualityGate gate(ValidatorKind::None, examples);

    EXPECT_EQ(gate.check("What is a list comprehension?", "What is a list comprehension?"),
              RejectionReason::Echo);
    EXPECT_EQ(gate.check("How do you reverse a list in Python without changing the original list?",
                         "Reverse a list in Python without changing the original list."),
              RejectionReason::Echo)
        << "every word of the answer taken from the question, in order";
    EXPECT_EQ(gate.check("Which is faster on average, quicksort or bubble sort?", "Quicksort."),
              RejectionReason::None)
        << "a short answer may be one of the question's words";
    EXPECT_EQ(
        gate.check("How do you reverse a list in Python?",
                   "How do you reverse a list in Python? Use slicing: `items[::-1]` returns a new list."),
        RejectionReason::None)
        << "restating the question before answering it is fine";

    EXPECT_EQ(gate.check("How do you remove repeated values from a list?", examples[1].solution),
              RejectionReason::Example);
    std::string lightlyEdited = examples[0].solution;
    lightlyEdited.replace(lightlyEdited.find("data.csv"), 8, "sales.csv");
    EXPECT_EQ(gate.check("How do you load a CSV file with pandas?", lightlyEdited), RejectionReason::Example);
    EXPECT_EQ(gate.check("How do you load a CSV file with pandas?",
                         "```python\nimport pandas as pd\nsales = pd.read_csv('sales.csv', sep=';')\n```\n"
                         "`sep` names the delimiter; the result is a DataFrame."),
              RejectionReason::None)
        << "an answer on the same subject in its own words";
}

TEST(RowQualityGate, CountsPerReasonWithOneWordNames) {
    EXPECT_EQ(reasonName(RejectionReason::Repetition), "repetition");
    EXPECT_EQ(reasonName(RejectionReason::NoCode), "nocode");
    for (std::size_t i = 0; i < kRejectionReasonCount; ++i) {
        const auto name = reasonName(static_cast<RejectionReason>(i));
        EXPECT_FALSE(name.empty());
        EXPECT_EQ(name.find_first_of(" _-"), std::string_view::npos) << name;
    }

    RejectionCounts counts;
    EXPECT_EQ(counts.total(), 0);
    EXPECT_EQ(counts.describe(), "");
    counts.add(RejectionReason::NoCode);
    counts.add(RejectionReason::Looping, 2);
    RejectionCounts more;
    more.add(RejectionReason::NoCode, 2);
    counts += more;
    EXPECT_EQ(counts[RejectionReason::NoCode], 3);
    EXPECT_EQ(counts.total(), 5);
    EXPECT_EQ(counts.describe(), "3 nocode, 2 looping");
    const auto json = counts.toJson();
    EXPECT_EQ(json.size(), kRejectionReasonCount - 1) << "every reason but none";
    EXPECT_EQ(json.at("nocode"), 3);
    EXPECT_EQ(json.at("echo"), 0);
    EXPECT_FALSE(json.contains("none"));
    EXPECT_EQ(RejectionCounts::fromJson(json), counts);
    EXPECT_EQ(
        RejectionCounts::fromJson({{"looping", 2}, {"unknown", 7}, {"echo", "x"}, {"nocode", -1}}).total(),
        2);
    EXPECT_EQ(RejectionCounts::fromJson(nlohmann::json::array()).total(), 0);
}

} // namespace
} // namespace sds::quality
