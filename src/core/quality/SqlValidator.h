#pragma once

#include "core/quality/Validation.h"

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace sds::quality {

// The SQL of an answer: its ```sql-like blocks (sql, sqlite, postgresql, mysql, tsql, ...); else its
// unlabelled blocks that start like SQL; else, when the answer itself starts with a SQL keyword, its
// leading SQL paragraphs (a bare answer). Each as a CodeBlock whose language is the label ("" if none).
[[nodiscard]] std::vector<CodeBlock> sqlFromAnswer(std::string_view answer);
// Whether the SQL of an answer (as sqlFromAnswer finds it) has a statement: a ```sql block holding only
// prose or nothing does not count.
[[nodiscard]] bool containsSqlStatement(std::string_view answer);

// Checks the SQL of answers against a database schema with SQLite, without running any query: the schema
// is created once in an in-memory database and every statement of the answer is compiled with
// sqlite3_prepare_v2. Statements of the answer that change the schema (CREATE, DROP, ALTER) are run inside
// a savepoint that is rolled back after the answer, so a later statement can use a view or table an
// earlier one made; nothing else is ever stepped.
//
// A statement that does not compile is Failed with SQLite's message ("no such column: e.salry"), unless the
// failure comes from another dialect, which SQLite cannot judge: then the answer is Unjudged with the
// construct and SQLite's message. Dialect failures are "no such function: F" for a known function of another
// dialect (NOW, DATE_TRUNC, GETDATE, YEAR, ...) or of SQLite's optional math functions; a syntax error in a
// statement using a construct SQLite does not have (SELECT TOP, ILIKE, ::casts, EXTRACT(... FROM),
// INTERVAL '...', FETCH FIRST, QUALIFY, DISTINCT ON, APPLY, ...) or in a block labelled with another dialect;
// an unknown date part or type name as the first argument of DATEADD/DATEDIFF/CONVERT; system tables of
// other databases (dual, information_schema). Several statements: each is checked; any Failed makes the
// answer Failed, else any Unjudged makes it Unjudged.
//
// Thread-safe: validate() may be called from several threads; they take turns on the one connection.
class SqlValidator {
public:
    explicit SqlValidator(const std::string& schemaDdl);
    ~SqlValidator();
    SqlValidator(const SqlValidator&) = delete;
    SqlValidator& operator=(const SqlValidator&) = delete;

    // Empty when the schema loaded; else names the statement that failed and SQLite's message.
    [[nodiscard]] const std::string& schemaError() const { return schemaError_; }
    [[nodiscard]] ValidationResult validate(std::string_view answer) const;

private:
    void loadSchema(const std::string& schemaDdl);

    sqlite3* db_ = nullptr;
    std::string schemaError_;
    bool emptySchema_ = true;
    mutable std::mutex mutex_;
    mutable long progressTicks_ = 0; // guarded by mutex_; bounds the work of stepping DDL
};

} // namespace sds::quality
