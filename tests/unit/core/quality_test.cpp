#include "core/quality/NearDuplicateIndex.h"
#include "core/quality/NearDuplicateTiers.h"
#include "core/quality/PythonChecker.h"
#include "core/quality/RougeL.h"
#include "core/quality/SqlValidator.h"
#include "core/quality/Validation.h"
#include "testsupport/TempDir.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace sds::quality {
namespace {

nlohmann::json templateJson(const std::string& id) {
    std::ifstream in(std::filesystem::path(SDS_SOURCE_TEMPLATES_DIR) / (id + ".json"));
    return nlohmann::json::parse(in);
}

const std::string& textToSqlSchema() {
    static const std::string schema = templateJson("text_to_sql").at("database_schema").get<std::string>();
    return schema;
}

const SqlValidator& templateValidator() {
    static const SqlValidator validator(textToSqlSchema());
    return validator;
}

std::string sqlAnswer(const std::string& query) {
    return "Here is the query:\n\n```sql\n" + query + "\n```\n";
}

// ---------------------------------------------------------------------------------------------- Validation

TEST(QualityValidation, StatusAndKindNamesRoundTrip) {
    for (const auto status : {ValidationStatus::Passed, ValidationStatus::Failed, ValidationStatus::Unjudged,
                              ValidationStatus::NotApplicable})
        EXPECT_EQ(validationStatusFromString(toString(status)), status);
    EXPECT_EQ(toString(ValidationStatus::NotApplicable), "not_applicable");
    EXPECT_FALSE(validationStatusFromString("Passed").has_value());
    EXPECT_EQ(validatorKindFromString("none"), ValidatorKind::None);
    EXPECT_EQ(validatorKindFromString("sql"), ValidatorKind::Sql);
    EXPECT_EQ(validatorKindFromString("code"), ValidatorKind::Code);
    EXPECT_FALSE(validatorKindFromString("python").has_value());
}

TEST(QualityCodeBlocks, FencesLanguagesAndStartLines) {
    const std::string answer = "Intro line\n"           // 1
                               "```Python title=x.py\n" // 2
                               "def f():\n"             // 3
                               "    return 1\n"         // 4
                               "```\n"                  // 5
                               "Use `inline ```code```` here.\n"
                               "~~~~\n" // 7
                               "plain\n"
                               "```not a close```\n"
                               "~~~~\n"
                               "1. A list item:\n"
                               "   ```sql\n" // 12
                               "   SELECT 1;\n"
                               "     -- kept indent\n"
                               "   ```\n"
                               "```js\n" // 16
                               "unclosed();\n";
    const auto blocks = extractCodeBlocks(answer);
    ASSERT_EQ(blocks.size(), 4U);
    EXPECT_EQ(blocks[0].language, "python");
    EXPECT_EQ(blocks[0].code, "def f():\n    return 1\n");
    EXPECT_EQ(blocks[0].startLine, 3);
    EXPECT_EQ(blocks[1].language, "");
    EXPECT_EQ(blocks[1].code, "plain\n```not a close```\n");
    EXPECT_EQ(blocks[1].startLine, 8);
    EXPECT_EQ(blocks[2].language, "sql");
    EXPECT_EQ(blocks[2].code, "SELECT 1;\n  -- kept indent\n");
    EXPECT_EQ(blocks[2].startLine, 13);
    EXPECT_EQ(blocks[3].language, "js");
    EXPECT_EQ(blocks[3].code, "unclosed();\n");
    EXPECT_TRUE(extractCodeBlocks("no code at all").empty());
    EXPECT_EQ(extractCodeBlocks("```{python}\r\nx = 1\r\n```\r\n").at(0).language, "python");
}

// ---------------------------------------------------------------------------------------------- SQL

TEST(SqlValidator, TemplateSchemaLoadsAndCorrectQueriesPass) {
    const auto& validator = templateValidator();
    ASSERT_EQ(validator.schemaError(), "");
    const auto result = validator.validate(sqlAnswer(
        "SELECT d.name, AVG(e.salary) AS average_salary\nFROM employees e\nJOIN departments d ON "
        "d.department_id = e.department_id\nGROUP BY d.name\nORDER BY average_salary DESC\nLIMIT 5;"));
    EXPECT_EQ(result.status, ValidationStatus::Passed) << result.message;
    // MySQL's LIMIT offset, count and strftime are SQLite too.
    EXPECT_EQ(validator
                  .validate(sqlAnswer("SELECT * FROM orders WHERE strftime('%Y', order_date) = '2024' "
                                      "LIMIT 10, 5"))
                  .status,
              ValidationStatus::Passed);
}

TEST(SqlValidator, TheTemplatesOwnExamplesAreNotFailed) {
    const auto textToSqlTemplate = templateJson("text_to_sql"); // the loop must not outlive it
    for (const auto& example : textToSqlTemplate.at("examples")) {
        const auto result = templateValidator().validate(example.at("solution").get<std::string>());
        EXPECT_NE(result.status, ValidationStatus::Failed)
            << example.at("question") << ": " << result.message;
    }
}

TEST(SqlValidator, WrongColumnOrTableFailsWithSqlitesMessageAndLine) {
    const auto column = templateValidator().validate(
        sqlAnswer("SELECT e.first_name,\n       e.salry\nFROM employees e\nWHERE e.salry > 1000;"));
    EXPECT_EQ(column.status, ValidationStatus::Failed);
    EXPECT_EQ(column.message, "no such column: e.salry");
    EXPECT_EQ(column.line, 2);
    const auto table = templateValidator().validate(sqlAnswer("SELECT name FROM employes;"));
    EXPECT_EQ(table.status, ValidationStatus::Failed);
    EXPECT_EQ(table.message, "no such table: employes");
    // A misspelt function that no dialect has is a mistake, not a dialect.
    EXPECT_EQ(templateValidator().validate(sqlAnswer("SELECT COUNTT(*) FROM employees")).message,
              "no such function: COUNTT");
}

TEST(SqlValidator, SyntaxErrorsFail) {
    const auto typo = templateValidator().validate(sqlAnswer("SELCT first_name FROM employees"));
    EXPECT_EQ(typo.status, ValidationStatus::Failed);
    EXPECT_EQ(typo.message, "near \"SELCT\": syntax error");
    const auto incomplete = templateValidator().validate(sqlAnswer("SELECT first_name FROM employees WHERE"));
    EXPECT_EQ(incomplete.status, ValidationStatus::Failed);
    EXPECT_EQ(incomplete.message, "incomplete input");
    EXPECT_EQ(templateValidator().validate(sqlAnswer("SELECT first_name FROM employees GROUP salary")).status,
              ValidationStatus::Failed);
}

TEST(SqlValidator, OtherDialectsAreUnjudgedWithTheReason) {
    struct Case {
        const char* query;
        const char* reason; // part of the message
    };
    const std::vector<Case> cases = {
        {"SELECT TOP 5 first_name, salary FROM employees ORDER BY salary DESC", "SELECT TOP (T-SQL)"},
        {"SELECT name FROM customers WHERE name ILIKE 'a%'", "ILIKE (PostgreSQL)"},
        {"SELECT salary::int FROM employees", ":: casts (PostgreSQL)"},
        {"SELECT order_date::date, '2024-01-01'::timestamp FROM orders", ":: casts"},
        {"SELECT DATE_TRUNC('month', order_date), COUNT(*) FROM orders GROUP BY 1", "DATE_TRUNC() is not in"},
        {"SELECT EXTRACT(YEAR FROM hire_date) FROM employees", "EXTRACT"},
        {"SELECT * FROM orders WHERE order_date > CURRENT_DATE - INTERVAL '30 days'", "INTERVAL"},
        {"SELECT * FROM orders WHERE order_date > DATE_SUB(CURDATE(), INTERVAL 30 DAY)", "INTERVAL"},
        {"SELECT DATEADD(day, 30, order_date) FROM orders", "DATEADD"},
        {"SELECT DATEDIFF(day, hire_date, GETDATE()) FROM employees", "DATEADD/DATEDIFF"},
        {"SELECT NOW()", "NOW() is not in this SQLite"},
        {"SELECT * FROM employees ORDER BY salary DESC FETCH FIRST 5 ROWS ONLY", "FETCH FIRST"},
        {"SELECT * FROM employees QUALIFY ROW_NUMBER() OVER (PARTITION BY department_id ORDER BY salary) = 1",
         "QUALIFY"},
        {"SELECT DISTINCT ON (department_id) * FROM employees", "DISTINCT ON"},
        {"SELECT YEAR(hire_date) FROM employees", "YEAR() is not in this SQLite (MySQL/T-SQL)"},
        {"SELECT CONVERT(INT, salary) FROM employees", "CONVERT()"},
        {"SELECT 1 FROM dual", "dual is a system table"},
    };
    for (const auto& c : cases) {
        const auto result = templateValidator().validate(sqlAnswer(c.query));
        EXPECT_EQ(result.status, ValidationStatus::Unjudged) << c.query << " -> " << result.message;
        EXPECT_NE(result.message.find(c.reason), std::string::npos) << c.query << " -> " << result.message;
        EXPECT_TRUE(result.message.starts_with("SQLite cannot judge this query: ")) << result.message;
    }
    // A block labelled with another dialect: its syntax errors are that dialect's business.
    const auto labelled =
        templateValidator().validate("```postgresql\nSELECT first_name FROM employees LIMIT ALL OFFSET\n```");
    EXPECT_EQ(labelled.status, ValidationStatus::Unjudged) << labelled.message;
    EXPECT_NE(labelled.message.find("written for PostgreSQL"), std::string::npos);
    // ... but a wrong column is wrong in every dialect.
    EXPECT_EQ(templateValidator().validate("```postgresql\nSELECT salry FROM employees\n```").status,
              ValidationStatus::Failed);
}

TEST(SqlValidator, EveryStatementIsCheckedAndSchemaChangesAreRolledBack) {
    const auto& validator = templateValidator();
    const auto view = validator.validate(
        sqlAnswer("CREATE VIEW top_earners AS SELECT * FROM employees WHERE salary > 100000;\n"
                  "SELECT first_name FROM top_earners;"));
    EXPECT_EQ(view.status, ValidationStatus::Passed) << view.message;
    // The view was made inside a savepoint that is gone now.
    EXPECT_EQ(validator.validate(sqlAnswer("SELECT * FROM top_earners")).message,
              "no such table: top_earners");
    EXPECT_EQ(validator.validate(sqlAnswer("DROP TABLE employees;")).status, ValidationStatus::Passed);
    EXPECT_EQ(validator.validate(sqlAnswer("SELECT first_name FROM employees")).status,
              ValidationStatus::Passed);

    const auto second =
        validator.validate(sqlAnswer("SELECT 1;\n-- the second one\nSELECT nme\nFROM customers;\nSELECT 2;"));
    EXPECT_EQ(second.status, ValidationStatus::Failed);
    EXPECT_EQ(second.message, "statement 2: no such column: nme");
    EXPECT_EQ(second.line, 3);
    const auto mixed =
        validator.validate(sqlAnswer("SELECT TOP 1 name FROM products; SELECT prce FROM products;"));
    EXPECT_EQ(mixed.status, ValidationStatus::Failed) << "a wrong statement outweighs an unjudged one";
    // Semicolons inside strings, comments and a trigger body do not split statements.
    const auto trigger = validator.validate(sqlAnswer("SELECT 'a;b' AS x; -- c;d\nCREATE TRIGGER t AFTER "
                                                      "INSERT ON orders BEGIN\n  UPDATE orders SET status "
                                                      "= 'new' WHERE order_id = NEW.order_id;\nEND;"));
    EXPECT_EQ(trigger.status, ValidationStatus::Passed) << trigger.message;
}

TEST(SqlValidator, FindsTheSqlInUnlabelledBlocksAndBareAnswers) {
    const auto& validator = templateValidator();
    EXPECT_EQ(validator.validate("Try:\n```\nSELECT name FROM products\n```").status,
              ValidationStatus::Passed);
    const auto bare = validator.validate(
        "SELECT name, price\nFROM products\n\nORDER BY price DESC;\n\nThis lists products, dearest first.");
    EXPECT_EQ(bare.status, ValidationStatus::Passed) << bare.message;
    const auto none = validator.validate("I cannot answer that without more details.");
    EXPECT_EQ(none.status, ValidationStatus::Failed);
    EXPECT_EQ(none.message, "no SQL query in the answer");
    EXPECT_EQ(validator.validate("```python\nprint('SELECT 1')\n```").message, "no SQL query in the answer");
    EXPECT_EQ(validator.validate("```sql\n-- nothing here\n```").message, "no SQL query in the answer");
    // Only the ```sql block is checked when there is one.
    EXPECT_EQ(validator.validate("```\nSELECT nothing FROM nowhere\n```\n```sql\nSELECT 1\n```").status,
              ValidationStatus::Passed);
}

TEST(SqlValidator, ASchemaThatDoesNotLoadNamesTheStatementAndLeavesAnswersUnjudged) {
    const SqlValidator validator("CREATE TABLE a (x INTEGER);\n\nCREATE TABLE b (y INTEGER,, z TEXT);\n");
    EXPECT_NE(validator.schemaError().find("statement 2"), std::string::npos) << validator.schemaError();
    EXPECT_NE(validator.schemaError().find("CREATE TABLE b"), std::string::npos) << validator.schemaError();
    EXPECT_NE(validator.schemaError().find("syntax error"), std::string::npos) << validator.schemaError();
    const auto result = validator.validate(sqlAnswer("SELECT x FROM a"));
    EXPECT_EQ(result.status, ValidationStatus::Unjudged);
    EXPECT_TRUE(result.message.starts_with("template schema does not load: statement 2")) << result.message;

    const SqlValidator empty("");
    EXPECT_EQ(empty.schemaError(), "");
    EXPECT_EQ(empty.validate(sqlAnswer("SELECT 1 + 1")).status, ValidationStatus::Passed);
    EXPECT_EQ(empty.validate(sqlAnswer("SELECT x FROM t")).status, ValidationStatus::Unjudged);
}

TEST(SqlValidator, SeveralThreadsValidateAtOnce) {
    const auto& validator = templateValidator();
    std::vector<std::thread> threads;
    std::vector<int> wrong(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i) {
                const bool good = (i + t) % 2 == 0;
                const auto result = validator.validate(sqlAnswer(
                    good ? "CREATE TABLE scratch (x); SELECT x FROM scratch;" : "SELECT x FROM scratch;"));
                if (result.status != (good ? ValidationStatus::Passed : ValidationStatus::Failed))
                    ++wrong[static_cast<std::size_t>(t)];
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    for (const int count : wrong)
        EXPECT_EQ(count, 0);
}

// ---------------------------------------------------------------------------------------------- Python

class PythonChecker : public ::testing::Test {
protected:
    void SetUp() override {
        if (!PythonSyntaxChecker::findPython())
            GTEST_SKIP() << "python3 is not on PATH";
    }
    PythonSyntaxChecker checker;
};

TEST_F(PythonChecker, ValidCodePassesAndErrorsReportTheirLine) {
    EXPECT_EQ(checker.check("import os\n\ndef f(x):\n    return os.path.join(x, 'a')\n").status,
              ValidationStatus::Passed);
    EXPECT_EQ(checker.check("await asyncio.sleep(1)\n").status, ValidationStatus::Passed)
        << "top-level await is fine in a snippet";
    const auto colon = checker.check("x = 1\ny = 2\nif x > y\n    print(x)\n");
    EXPECT_EQ(colon.status, ValidationStatus::Failed);
    EXPECT_EQ(colon.line, 3);
    EXPECT_EQ(colon.message, "line 3: expected ':'");
    const auto indent = checker.check("def f():\nreturn 1\n");
    EXPECT_EQ(indent.status, ValidationStatus::Failed);
    EXPECT_EQ(indent.line, 2);
    const auto unclosed = checker.check("values = [1, 2,\n          3\nprint(values)\n");
    EXPECT_EQ(unclosed.status, ValidationStatus::Failed);
    EXPECT_GE(unclosed.line, 1);
    // Code is compiled, never run.
    EXPECT_EQ(checker.check("import sys\nsys.exit(3)\nwhile True: pass\n").status, ValidationStatus::Passed);
    EXPECT_EQ(checker.check(std::string("x = 1\0", 6)).status, ValidationStatus::Failed);
    EXPECT_EQ(checker.check("").status, ValidationStatus::Passed);
    EXPECT_EQ(checker.check("s = 'caf\xc3\xa9'\n").status, ValidationStatus::Passed);
}

TEST_F(PythonChecker, OneChildServesManyChecksAndIsRestartedWhenItDies) {
    for (int i = 0; i < 200; ++i)
        ASSERT_EQ(checker.check("x = " + std::to_string(i) + "\n").status, ValidationStatus::Passed);
    EXPECT_EQ(checker.childStarts(), 1);

    // Kill our checker's child (found as this process's python3 child) and check again.
    int killed = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::ifstream stat(entry.path() / "stat");
        std::string pid;
        std::string comm;
        std::string state;
        long parent = 0;
        if (stat >> pid >> comm >> state >> parent && parent == ::getpid() &&
            comm.find("python") != std::string::npos)
            killed += ::kill(std::stoi(pid), SIGKILL) == 0 ? 1 : 0;
    }
    ASSERT_EQ(killed, 1);
    EXPECT_EQ(checker.check("def f(:\n").status, ValidationStatus::Failed);
    EXPECT_EQ(checker.childStarts(), 2);
}

TEST_F(PythonChecker, SeveralThreadsCheckAtOnce) {
    std::vector<std::thread> threads;
    std::vector<int> wrong(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 30; ++i) {
                const bool good = (i + t) % 3 != 0;
                const auto result = checker.check(good ? "a = [i for i in range(3)]\n" : "a = [i for i in\n");
                if (result.status != (good ? ValidationStatus::Passed : ValidationStatus::Failed))
                    ++wrong[static_cast<std::size_t>(t)];
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    for (const int count : wrong)
        EXPECT_EQ(count, 0);
    EXPECT_EQ(checker.childStarts(), 1);
}

TEST(PythonCheckerWithoutPython, IsUnjudged) {
    PythonSyntaxChecker none(std::nullopt);
    const auto result = none.check("x = 1");
    EXPECT_EQ(result.status, ValidationStatus::Unjudged);
    EXPECT_EQ(result.message, "no python3 found to check Python syntax");
    // A "python" that exits at once: tried, restarted once, then Unjudged.
    PythonSyntaxChecker broken(std::filesystem::path("/bin/true"));
    const auto dead = broken.check("x = 1");
    EXPECT_EQ(dead.status, ValidationStatus::Unjudged);
    EXPECT_TRUE(dead.message.starts_with("cannot check Python syntax: ")) << dead.message;
    EXPECT_EQ(broken.childStarts(), 2);
}

TEST_F(PythonChecker, CodeAnswersCheckTheirPythonBlocks) {
    const std::string good = "Use a comprehension:\n\n```python\nsquares = [n * n for n in range(10)]\n"
                             "print(squares)\n```\n\nOutput:\n```\n[0, 1, 4]\n```\n";
    EXPECT_EQ(validateCodeAnswer(good, checker).status, ValidationStatus::Passed);

    const std::string bad = "Line 1 of prose\nLine 2\n\n```py\nimport csv\n\nwith open('a.csv') as f\n"
                            "    rows = list(csv.reader(f))\n```\n";
    const auto result = validateCodeAnswer(bad, checker);
    EXPECT_EQ(result.status, ValidationStatus::Failed);
    EXPECT_EQ(result.line, 3) << "the line within the block, not within the answer";
    EXPECT_EQ(result.message, "line 3: expected ':'");

    const std::string second = "```python\nx = 1\n```\nand\n```python\ndef g(:\n    pass\n```\n";
    EXPECT_EQ(validateCodeAnswer(second, checker).message.substr(0, 16), "block 2, line 1:");

    const std::string unlabelled = "```\nimport math\nprint(math.pi\n```";
    EXPECT_EQ(validateCodeAnswer(unlabelled, checker).status, ValidationStatus::Failed);

    const auto javascript = validateCodeAnswer("```javascript\nconst x = 1;\n```\n```bash\nls\n```", checker);
    EXPECT_EQ(javascript.status, ValidationStatus::Unjudged);
    EXPECT_EQ(javascript.message, "no checker for javascript, bash");

    const auto prose = validateCodeAnswer("Just use a loop.", checker);
    EXPECT_EQ(prose.status, ValidationStatus::Failed);
    EXPECT_EQ(prose.message, "no code block in the answer");

    const auto codeGenerationTemplate = templateJson("code_generation"); // the loop must not outlive it
    for (const auto& example : codeGenerationTemplate.at("examples")) {
        const auto checked = validateCodeAnswer(example.at("solution").get<std::string>(), checker);
        EXPECT_NE(checked.status, ValidationStatus::Failed)
            << example.at("question") << ": " << checked.message;
    }
}

TEST(PythonCheckerHeuristics, UnlabelledBlocksThatLookLikePython) {
    EXPECT_TRUE(looksLikePython("import os\nprint(os.getcwd())\n"));
    EXPECT_TRUE(looksLikePython("def f():\n    return 1\n"));
    EXPECT_TRUE(looksLikePython("for x in items:\n    total += x\n"));
    EXPECT_FALSE(looksLikePython("[0, 1, 4]\n"));
    EXPECT_FALSE(looksLikePython("import React from 'react';\n"));
    EXPECT_FALSE(looksLikePython("#include <vector>\nint main() {\n  return 0;\n}\n"));
    EXPECT_FALSE(looksLikePython("SELECT 1;\n"));
}

// ---------------------------------------------------------------------------------------------- ROUGE-L

TEST(RougeL, TokensAreLowerCaseWordsWithUtf8LettersKeptTogether) {
    EXPECT_EQ(rougeTokens("Hello, World! It's 2024."),
              (std::vector<std::string>{"hello", "world", "it", "s", "2024"}));
    // "Ü" lower-cases to "ü"; the em dash (U+2014) and the no-break space (U+00A0) separate words.
    EXPECT_EQ(rougeTokens("\xC3\x9C"
                          "ber caf\xC3\xA9\xE2\x80\x94na\xC3\xAFve\xC2\xA0"
                          "\xE6\x97\xA5\xE6\x9C\xAC"),
              (std::vector<std::string>{"\xC3\xBC"
                                        "ber",
                                        "caf\xC3\xA9", "na\xC3\xAFve", "\xE6\x97\xA5\xE6\x9C\xAC"}));
    EXPECT_TRUE(rougeTokens(" ,.;!? ").empty());
}

TEST(RougeL, F1MatchesHandComputedValues) {
    // the cat sat on the mat / the cat lay on the mat: LCS = the cat on the mat = 5; P = R = 5/6;
    // F1 = 2 * 5 / (6 + 6) = 0.8333...
    EXPECT_NEAR(rougeLF1("The cat sat on the mat.", "the cat lay on the mat"), 10.0 / 12.0, 1e-12);
    // a b c d e / e d c b a: LCS = 1 (any single word); F1 = 2 * 1 / 10 = 0.2.
    EXPECT_NEAR(rougeLF1("a b c d e", "e d c b a"), 0.2, 1e-12);
    // a b c / a x b y c z: LCS = a b c = 3; R = 3/3, P = 3/6; F1 = 2 * 1 * 0.5 / 1.5 = 2/3 = 2 * 3 / (3 + 6).
    EXPECT_NEAR(rougeLF1("a b c", "a x b y c z"), 2.0 / 3.0, 1e-12);
    // How do I sort a list in Python / How can I sort a Python list: LCS = how i sort a list = 5 (or
    // how i sort a python = 5); lengths 8 and 7; F1 = 10 / 15 = 0.6667.
    EXPECT_NEAR(rougeLF1("How do I sort a list in Python?", "How can I sort a Python list?"), 10.0 / 15.0,
                1e-12);
    // Repeated words: the the the / the: LCS = 1; F1 = 2 / 4 = 0.5.
    EXPECT_NEAR(rougeLF1("the the the", "the"), 0.5, 1e-12);
    EXPECT_DOUBLE_EQ(rougeLF1("Same words here", "same, words; here!"), 1.0);
    EXPECT_DOUBLE_EQ(rougeLF1("", "anything"), 0.0);
    EXPECT_DOUBLE_EQ(rougeLF1("", ""), 0.0);
    EXPECT_DOUBLE_EQ(rougeLF1("alpha", "beta"), 0.0);
}

std::size_t lcsByTable(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
    std::vector<std::vector<std::size_t>> table(a.size() + 1, std::vector<std::size_t>(b.size() + 1, 0));
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j)
            table[i][j] =
                a[i - 1] == b[j - 1] ? table[i - 1][j - 1] + 1 : std::max(table[i - 1][j], table[i][j - 1]);
    return table[a.size()][b.size()];
}

TEST(RougeL, BitParallelLcsAgreesWithTheTableAtAllLengths) {
    std::mt19937 random(7);
    for (int round = 0; round < 300; ++round) {
        const std::size_t lengthA = random() % 200;
        const std::size_t lengthB = random() % 200;
        const std::uint32_t alphabet = 2 + random() % 12;
        std::vector<std::uint32_t> a(lengthA);
        std::vector<std::uint32_t> b(lengthB);
        for (auto& x : a)
            x = random() % alphabet;
        for (auto& x : b)
            x = random() % alphabet;
        ASSERT_EQ(LcsMatcher(a).lcsWith(b), lcsByTable(a, b)) << lengthA << " x " << lengthB;
    }
}

// ---------------------------------------------------------------------------------------------- index

// Sentences from a Zipf-like vocabulary with a few shared openings, like generated questions.
class SentenceMaker {
public:
    explicit SentenceMaker(unsigned seed) : random_(seed) {
        const std::vector<std::string> syllables = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po",
                                                    "ve", "da", "zu", "fe", "gi", "ho", "ja", "bu"};
        for (const auto& a : syllables)
            for (const auto& b : syllables)
                for (const auto& c : {"", "n", "r"})
                    words_.push_back(a + b + c);
        std::shuffle(words_.begin(), words_.end(), random_);
    }
    std::string word() {
        // Zipf-like: index = floor(N^u) - 1 favours small indices.
        const double u = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
        const auto index = static_cast<std::size_t>(std::pow(static_cast<double>(words_.size()), u)) - 1;
        return words_[std::min(index, words_.size() - 1)];
    }
    std::vector<std::string> sentence() {
        static const std::vector<std::vector<std::string>> openings = {
            {"write", "a", "python", "function", "that"}, {"how", "do", "i"}, {"what", "is", "the"}, {}};
        std::vector<std::string> words = openings[random_() % openings.size()];
        const std::size_t length = 8 + random_() % 16;
        while (words.size() < length)
            words.push_back(word());
        return words;
    }
    // k random edits: substitute, delete, insert or swap neighbours.
    std::vector<std::string> edited(std::vector<std::string> words, int edits) {
        for (int e = 0; e < edits && words.size() > 2; ++e) {
            const std::size_t at = random_() % words.size();
            switch (random_() % 4) {
            case 0:
                words[at] = word();
                break;
            case 1:
                words.erase(words.begin() + static_cast<std::ptrdiff_t>(at));
                break;
            case 2:
                words.insert(words.begin() + static_cast<std::ptrdiff_t>(at), word());
                break;
            default:
                std::swap(words[at], words[(at + 1) % words.size()]);
            }
        }
        return words;
    }
    std::mt19937& random() { return random_; }

private:
    std::mt19937 random_;
    std::vector<std::string> words_;
};

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words)
        text += (text.empty() ? "" : " ") + word;
    return text + "?";
}

// The index's tests run twice: everything in memory, and with the texts moved to files every 64 texts (so
// most candidates are read back from files, and files get merged while searches run).
class NearDuplicateTiers : public ::testing::TestWithParam<std::size_t> {
protected:
    [[nodiscard]] NearDuplicateIndex::Spill spill() const {
        return GetParam() == 0 ? NearDuplicateIndex::Spill{}
                               : NearDuplicateIndex::Spill{folder_.path(), GetParam()};
    }
    void expectFilesUsed(const NearDuplicateIndex& index) const {
        if (GetParam() == 0)
            return;
        index.waitUntilFiled();
        EXPECT_GT(index.files(), 0U);
        EXPECT_GT(index.work().fileReads, 0U);
        EXPECT_EQ(index.work().failedReads, 0U);
        EXPECT_TRUE(index.spillError().empty()) << index.spillError();
    }

private:
    sds::testing::TempDir folder_;
};

INSTANTIATE_TEST_SUITE_P(NearDuplicateIndex, NearDuplicateTiers, ::testing::Values(0, 64),
                         [](const ::testing::TestParamInfo<std::size_t>& tier) {
                             return tier.param == 0 ? std::string("inMemory")
                                                    : "filesEvery" + std::to_string(tier.param);
                         });

TEST_P(NearDuplicateTiers, FindsPlantedNearDuplicates) {
    SentenceMaker maker(11);
    NearDuplicateIndex index(0.7, spill());
    EXPECT_EQ(index.bands(), 32U);
    EXPECT_EQ(index.rowsPerBand(), 4U);
    std::vector<std::string> bases;
    for (int i = 0; i < 3000; ++i) {
        bases.push_back(joined(maker.sentence()));
        index.insert(bases.back());
    }
    int planted = 0;
    int found = 0;
    int borderline = 0; // 0.7 < F1 <= 0.75, where the worst-case estimate is 94 %
    int borderlineFound = 0;
    for (int i = 0; i < 3000; ++i) {
        const auto& base = bases[maker.random()() % bases.size()];
        const auto variant =
            joined(maker.edited(rougeTokens(base), 1 + static_cast<int>(maker.random()() % 7)));
        const auto match = index.find(variant);
        if (match.nearDuplicate) {
            // Every reported match is real: its score is the exact ROUGE-L of the pair.
            ASSERT_LT(match.matchedId, bases.size());
            EXPECT_NEAR(match.score, rougeLF1(variant, bases[match.matchedId]), 1e-12);
            EXPECT_GT(match.score, 0.7);
        }
        const double f1 = rougeLF1(variant, base);
        if (f1 > 0.75) {
            ++planted;
            found += match.nearDuplicate ? 1 : 0;
        } else if (f1 > 0.7) {
            ++borderline;
            borderlineFound += match.nearDuplicate ? 1 : 0;
        }
    }
    ASSERT_GT(planted, 1000);
    const double recall = static_cast<double>(found) / planted;
    EXPECT_GE(recall, 0.95) << found << " of " << planted;
    expectFilesUsed(index);
    std::cout << "[          ] planted pairs with F1 > 0.75 found: " << found << " of " << planted
              << "; with 0.7 < F1 <= 0.75: " << borderlineFound << " of " << borderline << "\n";
}

TEST_P(NearDuplicateTiers, AgreesWithBruteForce) {
    // 2000 sentences, a fifth of them edited copies of earlier ones; each is compared with every accepted one
    // (exact ROUGE-L) and offered to the index, which must report only real near-duplicates and miss few.
    SentenceMaker maker(5);
    std::vector<std::string> texts;
    for (int i = 0; i < 2000; ++i) {
        if (i > 10 && maker.random()() % 5 == 0)
            texts.push_back(joined(maker.edited(rougeTokens(texts[maker.random()() % texts.size()]),
                                                1 + static_cast<int>(maker.random()() % 6))));
        else
            texts.push_back(joined(maker.sentence()));
    }
    std::unordered_map<std::string, std::uint32_t> vocabulary;
    const auto idsOf = [&](const std::string& text) {
        std::vector<std::uint32_t> ids;
        for (const auto& token : rougeTokens(text))
            ids.push_back(
                vocabulary.try_emplace(token, static_cast<std::uint32_t>(vocabulary.size())).first->second);
        return ids;
    };
    NearDuplicateIndex index(0.7, spill());
    std::vector<std::vector<std::uint32_t>> accepted;
    int bruteForcePositives = 0;
    int missed = 0;
    for (const auto& text : texts) {
        const auto ids = idsOf(text);
        const LcsMatcher matcher(ids);
        double best = 0;
        for (const auto& other : accepted)
            if (!ids.empty())
                best = std::max(best, 2.0 * static_cast<double>(matcher.lcsWith(other)) /
                                          static_cast<double>(ids.size() + other.size()));
        const auto match = index.insertIfNovel(text);
        bruteForcePositives += best > 0.7 ? 1 : 0;
        if (match.nearDuplicate) {
            EXPECT_GT(best, 0.7) << "a false positive: " << text;
            EXPECT_LE(match.score, best + 1e-12);
        } else {
            missed += best > 0.7 ? 1 : 0;
            accepted.push_back(ids);
        }
    }
    EXPECT_EQ(index.size(), accepted.size());
    ASSERT_GT(bruteForcePositives, 200);
    EXPECT_LE(missed, bruteForcePositives / 20) << "brute force found near-duplicates the index missed";
    expectFilesUsed(index);
    std::cout << "[          ] near-duplicates by brute force: " << bruteForcePositives
              << ", missed by the index: " << missed << "\n";
}

TEST_P(NearDuplicateTiers, ThreadsSearchingOutsideTheLockKeepOneQuestionPerCluster) {
    // 400 clusters of 6 texts: a base of 16-23 words and 5 copies with one word replaced, each at its own
    // position, so any two texts of a cluster have F1 >= 0.875 and texts of different clusters share no
    // word. 8 threads offer all 2 400 texts in random order the optimistic way (prepare and search outside
    // the lock, insertIfNovel(prepared, search) under it). Whatever the interleaving, exactly one text of
    // each cluster is kept, every other one is reported as a near-duplicate of its cluster's, and calling
    // insertIfNovel(text) one by one in the order the lock was taken gives the same answers.
    constexpr int kClusters = 400;
    constexpr int kPerCluster = 6;
    std::mt19937 random(23);
    std::vector<std::string> texts;
    std::vector<int> clusterOf;
    int nextWord = 0;
    for (int c = 0; c < kClusters; ++c) {
        std::vector<std::string> base;
        const std::size_t length = 16 + random() % 8;
        while (base.size() < length)
            base.push_back("w" + std::to_string(nextWord++));
        std::vector<std::size_t> positions(length);
        std::iota(positions.begin(), positions.end(), 0);
        std::shuffle(positions.begin(), positions.end(), random);
        for (int v = 0; v < kPerCluster; ++v) {
            auto words = base;
            if (v > 0)
                words[positions[static_cast<std::size_t>(v)]] = "w" + std::to_string(nextWord++);
            texts.push_back(joined(words));
            clusterOf.push_back(c);
        }
    }
    std::vector<std::size_t> order(texts.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), random);

    NearDuplicateIndex index(0.7, spill());
    std::mutex lock;
    std::vector<std::size_t> lockOrder;
    std::vector<std::size_t> keptTexts; // by id
    std::vector<NearDuplicateIndex::Match> matches(texts.size());
    std::atomic<std::size_t> next{0};
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&] {
                for (std::size_t i = next++; i < order.size(); i = next++) {
                    const std::size_t text = order[i];
                    const auto prepared = index.prepare(texts[text]);
                    const auto search = index.search(prepared);
                    const std::lock_guard guard(lock);
                    matches[text] = index.insertIfNovel(prepared, search);
                    lockOrder.push_back(text);
                    if (!matches[text].nearDuplicate)
                        keptTexts.push_back(text);
                }
            });
    }

    ASSERT_EQ(keptTexts.size(), static_cast<std::size_t>(kClusters));
    EXPECT_EQ(index.size(), keptTexts.size());
    std::vector<int> keptPerCluster(kClusters, 0);
    for (const auto text : keptTexts)
        ++keptPerCluster[static_cast<std::size_t>(clusterOf[text])];
    EXPECT_TRUE(std::all_of(keptPerCluster.begin(), keptPerCluster.end(), [](int n) { return n == 1; }));
    for (std::size_t text = 0; text < texts.size(); ++text) {
        if (!matches[text].nearDuplicate)
            continue;
        ASSERT_LT(matches[text].matchedId, keptTexts.size());
        const std::size_t matched = keptTexts[matches[text].matchedId];
        EXPECT_EQ(clusterOf[matched], clusterOf[text]) << texts[text];
        EXPECT_NEAR(matches[text].score, rougeLF1(texts[text], texts[matched]), 1e-12);
        EXPECT_GT(matches[text].score, 0.7);
    }

    expectFilesUsed(index);
    NearDuplicateIndex oneByOne(0.7); // in memory
    for (const auto text : lockOrder) {
        const auto match = oneByOne.insertIfNovel(texts[text]);
        EXPECT_EQ(match.nearDuplicate, matches[text].nearDuplicate);
        EXPECT_EQ(match.matchedId, matches[text].matchedId);
        EXPECT_DOUBLE_EQ(match.score, matches[text].score);
    }
}

TEST(NearDuplicateIndex, FilesGiveTheAnswersOfMemoryWithLittleOfIt) {
    // 3 000 texts, a fifth of them edited copies of earlier ones, offered to an index in memory and to one
    // that moves texts to files every 50: every answer is the same, and the second holds a fraction of the
    // memory, in files that are unlinked (the folder looks empty).
    SentenceMaker maker(7);
    std::vector<std::string> texts;
    for (int i = 0; i < 3000; ++i) {
        if (i > 10 && maker.random()() % 5 == 0)
            texts.push_back(joined(maker.edited(rougeTokens(texts[maker.random()() % texts.size()]),
                                                1 + static_cast<int>(maker.random()() % 6))));
        else
            texts.push_back(joined(maker.sentence()));
    }
    sds::testing::TempDir folder;
    NearDuplicateIndex memory(0.7);
    NearDuplicateIndex tiered(0.7, {folder.path(), 50});
    int nearDuplicates = 0;
    for (const auto& text : texts) {
        const auto expected = memory.insertIfNovel(text);
        const auto match = tiered.insertIfNovel(text);
        ASSERT_EQ(match.nearDuplicate, expected.nearDuplicate) << text;
        EXPECT_EQ(match.matchedId, expected.matchedId) << text;
        EXPECT_DOUBLE_EQ(match.score, expected.score) << text;
        nearDuplicates += match.nearDuplicate ? 1 : 0;
    }
    EXPECT_GT(nearDuplicates, 300);
    EXPECT_EQ(tiered.size(), memory.size());
    for (int i = 0; i < 500; ++i) {
        const auto variant = joined(maker.edited(rougeTokens(texts[maker.random()() % texts.size()]), 2));
        const auto expected = memory.find(variant);
        const auto match = tiered.find(variant);
        EXPECT_EQ(match.nearDuplicate, expected.nearDuplicate) << variant;
        EXPECT_EQ(match.matchedId, expected.matchedId) << variant;
        EXPECT_DOUBLE_EQ(match.score, expected.score) << variant;
    }
    // Files double in size from newest to oldest: about log2(2 700 / 50) + 1 of them at most.
    tiered.waitUntilFiled();
    EXPECT_GE(tiered.files(), 1U);
    EXPECT_LE(tiered.files(), 7U);
    EXPECT_GT(tiered.fileBytes(), 0U);
    EXPECT_LT(tiered.approximateBytes() * 4, memory.approximateBytes())
        << tiered.approximateBytes() << " bytes with files, " << memory.approximateBytes() << " without";
    EXPECT_EQ(tiered.work().failedReads, 0U);
    EXPECT_TRUE(std::filesystem::is_empty(folder.path())) << "the files are unlinked when created";
}

TEST(NearDuplicateIndex, KeyFilterNeverMissesAKeyAndLetsFewAbsentOnesThrough) {
    std::mt19937 random(11);
    constexpr std::uint64_t kExpected = 131072; // 4 096 words: exactly two bits a key
    sds::quality::detail::KeyFilter filter(kExpected);
    std::vector<std::uint32_t> added;
    const auto absentPassing = [&] {
        int passing = 0;
        for (int i = 0; i < 20000; ++i)
            passing += filter.mayContain(static_cast<std::uint32_t>(random())) ? 1 : 0;
        return passing / 20000.0;
    };
    EXPECT_EQ(absentPassing(), 0.0) << "an empty filter lets nothing through";
    for (std::uint64_t i = 0; i < kExpected / 2; ++i) {
        added.push_back(static_cast<std::uint32_t>(random()));
        filter.add(added.back());
    }
    const double halfFull = absentPassing();
    for (std::uint64_t i = kExpected / 2; i < kExpected; ++i) {
        added.push_back(static_cast<std::uint32_t>(random()));
        filter.add(added.back());
    }
    const double full = absentPassing();
    for (const auto key : added)
        ASSERT_TRUE(filter.mayContain(key)) << key;
    // Two bits of one 64-bit word per key, two bits per expected key: (1 - e^-load)^2, a little more in
    // words that drew more keys than average.
    EXPECT_LT(halfFull, 0.20);
    EXPECT_GT(halfFull, 0.10);
    EXPECT_LT(full, 0.46);
    EXPECT_GT(full, 0.35);
    EXPECT_EQ(filter.approximateBytes(), kExpected * 2 / 8);
}

TEST(NearDuplicateIndex, ASearchReadsTheFilesOnlyForKeysThatMayBeThere) {
    // 3 000 texts, files every 50, the filter sized for them. Texts of other words have no key in the files,
    // so nearly all their band keys are answered by the filter: without it a search reads every file at
    // least once per band.
    SentenceMaker maker(19);
    sds::testing::TempDir folder;
    NearDuplicateIndex index(0.7, {folder.path(), 50, 3000});
    for (int i = 0; i < 3000; ++i)
        index.insert(joined(maker.sentence()));
    index.waitUntilFiled();
    // 60 tiers of 50 merged like a binary counter (60 = 32 + 16 + 8 + 4), whatever the filing thread's pace.
    ASSERT_EQ(index.files(), 4U);
    const auto before = index.work().fileReads;
    constexpr int kSearches = 200;
    for (int i = 0; i < kSearches; ++i)
        EXPECT_FALSE(index
                         .find("zq" + std::to_string(i) + " unrelated words xv" + std::to_string(i * 7) +
                               " nothing like the others kw" + std::to_string(i * 13))
                         .nearDuplicate);
    const auto reads = index.work().fileReads - before;
    const auto withoutFilter = static_cast<std::uint64_t>(kSearches) * index.bands() * index.files();
    EXPECT_LT(reads * 2, withoutFilter)
        << reads << " reads; at least " << withoutFilter << " without the filter";
    EXPECT_EQ(index.work().failedReads, 0U);
}

TEST(NearDuplicateIndex, KeepsEverythingInMemoryWhenItCannotWriteAFile) {
    sds::testing::TempDir folder;
    const auto missing = folder.path() / "not-there";
    NearDuplicateIndex index(0.7, {missing, 10});
    for (int i = 0; i < 100; ++i)
        index.insert("question number " + std::to_string(i) + " about sorting lists of words");
    index.waitUntilFiled();
    EXPECT_EQ(index.files(), 0U);
    EXPECT_NE(index.spillError().find(missing.string()), std::string::npos) << index.spillError();
    EXPECT_EQ(index.size(), 100U);
    const auto match = index.find("Question number 7 about sorting lists of words!");
    EXPECT_TRUE(match.nearDuplicate);
    EXPECT_EQ(match.matchedId, 7U);
}

TEST(NearDuplicateIndex, IdsShortTextsAndDisabling) {
    NearDuplicateIndex index;
    EXPECT_EQ(index.insert("Hello world"), 0U);
    EXPECT_EQ(index.insert("Something else entirely"), 1U);
    EXPECT_EQ(index.size(), 2U);
    const auto same = index.find("hello, WORLD!");
    EXPECT_TRUE(same.nearDuplicate);
    EXPECT_DOUBLE_EQ(same.score, 1.0);
    EXPECT_EQ(same.matchedId, 0U);
    EXPECT_FALSE(index.find("hello there").nearDuplicate); // F1 = 2 * 1 / 4 = 0.5
    EXPECT_FALSE(index.find("").nearDuplicate);
    EXPECT_EQ(index.insert(""), 2U);
    EXPECT_FALSE(index.find("").nearDuplicate) << "empty texts share no words";

    const auto novel = index.insertIfNovel("A brand new question about sorting");
    EXPECT_FALSE(novel.nearDuplicate);
    EXPECT_EQ(index.size(), 4U);
    const auto again = index.insertIfNovel("a brand new question about sorting!");
    EXPECT_TRUE(again.nearDuplicate);
    EXPECT_EQ(again.matchedId, 3U);
    EXPECT_EQ(index.size(), 4U);

    NearDuplicateIndex disabled(1.0);
    EXPECT_FALSE(disabled.enabled());
    EXPECT_EQ(disabled.insert("same"), 0U);
    EXPECT_FALSE(disabled.insertIfNovel("same").nearDuplicate);
    EXPECT_EQ(disabled.size(), 2U);
}

TEST(NearDuplicateIndex, LowerThresholdsUseShorterBands) {
    EXPECT_EQ(NearDuplicateIndex(0.5).rowsPerBand(), 2U);
    EXPECT_GT(NearDuplicateIndex(0.9).rowsPerBand(), 4U);
    NearDuplicateIndex loose(0.5);
    loose.insert("how do i read a csv file with pandas");
    // LCS = how do i read a file = 6 of 9 and 7 words: F1 = 12 / 16 = 0.75.
    EXPECT_TRUE(loose.find("how do i read a text file").nearDuplicate);
}

} // namespace
} // namespace sds::quality
