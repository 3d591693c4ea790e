#include "core/quality/SqlValidator.h"

#include "core/Text.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <regex>
#include <sqlite3.h>
#include <utility>

namespace sds::quality {
namespace {

constexpr long kProgressTickLimit = 20000; // x 1000 virtual machine steps

const std::array kStatementKeywords = {"select", "with",    "insert",   "update", "delete",  "create",
                                       "drop",   "alter",   "replace",  "pragma", "explain", "values",
                                       "merge",  "declare", "truncate", "upsert"};
const std::array kClauseKeywords = {"from",   "where", "join",      "inner",  "left",    "right",
                                    "full",   "cross", "order",     "group",  "having",  "limit",
                                    "offset", "union", "intersect", "except", "and",     "or",
                                    "on",     "set",   "returning", "window", "natural", "outer"};

// Block labels that hold SQL, with the dialect a label names ("" for SQLite or plain SQL).
constexpr std::pair<std::string_view, std::string_view> kSqlLabels[] = {
    {"sql", ""},
    {"sqlite", ""},
    {"sqlite3", ""},
    {"ansi", ""},
    {"postgresql", "PostgreSQL"},
    {"postgres", "PostgreSQL"},
    {"psql", "PostgreSQL"},
    {"pgsql", "PostgreSQL"},
    {"plpgsql", "PostgreSQL"},
    {"mysql", "MySQL"},
    {"mariadb", "MySQL"},
    {"tsql", "T-SQL"},
    {"t-sql", "T-SQL"},
    {"mssql", "T-SQL"},
    {"sqlserver", "T-SQL"},
    {"plsql", "Oracle"},
    {"oracle", "Oracle"},
    {"snowflake", "Snowflake"},
    {"bigquery", "BigQuery"},
    {"redshift", "Redshift"},
    {"hive", "HiveQL"},
    {"sparksql", "Spark SQL"},
};

std::optional<std::string_view> labelDialect(std::string_view language) {
    for (const auto& [label, dialect] : kSqlLabels)
        if (language == label)
            return dialect;
    return std::nullopt;
}

// Functions of other dialects (or optional in SQLite) that make "no such function: F" a dialect issue.
constexpr std::pair<std::string_view, std::string_view> kForeignFunctions[] = {
    {"NOW", "PostgreSQL/MySQL"},
    {"GETDATE", "T-SQL"},
    {"GETUTCDATE", "T-SQL"},
    {"SYSDATETIME", "T-SQL"},
    {"DATEADD", "T-SQL"},
    {"DATEDIFF", "T-SQL/MySQL"},
    {"DATEPART", "T-SQL"},
    {"DATENAME", "T-SQL"},
    {"EOMONTH", "T-SQL"},
    {"DATEFROMPARTS", "T-SQL"},
    {"LEN", "T-SQL"},
    {"CHARINDEX", "T-SQL"},
    {"ISNULL", "T-SQL"},
    {"NEWID", "T-SQL"},
    {"STUFF", "T-SQL"},
    {"DATE_TRUNC", "PostgreSQL"},
    {"DATE_PART", "PostgreSQL"},
    {"AGE", "PostgreSQL"},
    {"TO_CHAR", "PostgreSQL/Oracle"},
    {"TO_DATE", "PostgreSQL/Oracle"},
    {"TO_TIMESTAMP", "PostgreSQL/Oracle"},
    {"TO_NUMBER", "PostgreSQL/Oracle"},
    {"ARRAY_AGG", "PostgreSQL"},
    {"SPLIT_PART", "PostgreSQL"},
    {"REGEXP_REPLACE", "PostgreSQL/MySQL"},
    {"REGEXP_MATCHES", "PostgreSQL"},
    {"REGEXP_LIKE", "MySQL/Oracle"},
    {"REGEXP", "MySQL (SQLite needs an extension)"},
    {"INITCAP", "PostgreSQL/Oracle"},
    {"STRPOS", "PostgreSQL"},
    {"BOOL_AND", "PostgreSQL"},
    {"BOOL_OR", "PostgreSQL"},
    {"GENERATE_SERIES", "PostgreSQL"},
    {"GREATEST", "PostgreSQL/MySQL"},
    {"LEAST", "PostgreSQL/MySQL"},
    {"PERCENTILE_CONT", "PostgreSQL/T-SQL"},
    {"PERCENTILE_DISC", "PostgreSQL/T-SQL"},
    {"MEDIAN", "Oracle/Snowflake"},
    {"MODE", "PostgreSQL"},
    {"STDDEV", "PostgreSQL/MySQL"},
    {"STDDEV_SAMP", "PostgreSQL/MySQL"},
    {"STDDEV_POP", "PostgreSQL/MySQL"},
    {"VARIANCE", "PostgreSQL/MySQL"},
    {"VAR_SAMP", "PostgreSQL/MySQL"},
    {"VAR_POP", "PostgreSQL/MySQL"},
    {"CORR", "PostgreSQL"},
    {"ANY_VALUE", "MySQL/BigQuery"},
    {"CURDATE", "MySQL"},
    {"CURTIME", "MySQL"},
    {"DATE_FORMAT", "MySQL"},
    {"DATE_ADD", "MySQL"},
    {"DATE_SUB", "MySQL"},
    {"STR_TO_DATE", "MySQL"},
    {"TIMESTAMPDIFF", "MySQL"},
    {"TIMESTAMPADD", "MySQL"},
    {"YEAR", "MySQL/T-SQL"},
    {"MONTH", "MySQL/T-SQL"},
    {"DAY", "MySQL/T-SQL"},
    {"DAYOFWEEK", "MySQL"},
    {"DAYOFMONTH", "MySQL"},
    {"DAYOFYEAR", "MySQL"},
    {"DAYNAME", "MySQL"},
    {"MONTHNAME", "MySQL"},
    {"WEEK", "MySQL"},
    {"WEEKDAY", "MySQL"},
    {"QUARTER", "MySQL"},
    {"HOUR", "MySQL"},
    {"MINUTE", "MySQL"},
    {"SECOND", "MySQL"},
    {"LAST_DAY", "MySQL/Oracle"},
    {"UNIX_TIMESTAMP", "MySQL"},
    {"FROM_UNIXTIME", "MySQL"},
    {"LOCATE", "MySQL"},
    {"FIND_IN_SET", "MySQL"},
    {"SUBSTRING_INDEX", "MySQL"},
    {"LCASE", "MySQL"},
    {"UCASE", "MySQL"},
    {"MID", "MySQL"},
    {"RAND", "MySQL"},
    {"UUID", "MySQL"},
    {"NVL", "Oracle"},
    {"NVL2", "Oracle"},
    {"ADD_MONTHS", "Oracle"},
    {"MONTHS_BETWEEN", "Oracle"},
    {"LISTAGG", "Oracle/Snowflake"},
    {"DECODE", "Oracle"},
    {"CONCAT", "SQLite 3.44+, MySQL, PostgreSQL"},
    {"CONCAT_WS", "SQLite 3.44+, MySQL, PostgreSQL"},
    {"STRING_AGG", "SQLite 3.44+, PostgreSQL, T-SQL"},
    {"TIMEDIFF", "SQLite 3.43+, MySQL"},
    {"OCTET_LENGTH", "SQLite 3.43+"},
    {"FLOOR", "SQLite math functions"},
    {"CEIL", "SQLite math functions"},
    {"CEILING", "SQLite math functions"},
    {"POWER", "SQLite math functions"},
    {"POW", "SQLite math functions"},
    {"SQRT", "SQLite math functions"},
    {"LN", "SQLite math functions"},
    {"LOG", "SQLite math functions"},
    {"MOD", "SQLite math functions"},
    {"TRUNC", "SQLite math functions"},
};

struct Construct {
    std::regex pattern;
    std::string_view name;
};

// Syntax SQLite does not have; looked for only when a statement fails to compile.
const std::vector<Construct>& foreignConstructs() {
    static const std::vector<Construct> constructs = [] {
        const std::vector<std::pair<const char*, std::string_view>> patterns = {
            {R"(\bSELECT\s+(DISTINCT\s+|ALL\s+)?TOP\b)", "SELECT TOP (T-SQL)"},
            {R"(\bILIKE\b)", "ILIKE (PostgreSQL)"},
            {R"(::)", ":: casts (PostgreSQL)"},
            {R"(\bEXTRACT\s*\()", "EXTRACT(... FROM ...) (PostgreSQL/MySQL)"},
            {R"(\bINTERVAL\s*('|\d))", "INTERVAL literals (PostgreSQL/MySQL)"},
            {R"(\b(DATEADD|DATEDIFF|DATEPART|DATENAME)\s*\()", "DATEADD/DATEDIFF/DATEPART (T-SQL)"},
            {R"(\bGETDATE\s*\()", "GETDATE() (T-SQL)"},
            {R"(\bNOW\s*\(\s*\))", "NOW() (PostgreSQL/MySQL)"},
            {R"(\bDATE_TRUNC\s*\()", "DATE_TRUNC (PostgreSQL)"},
            {R"(\b(DATE_ADD|DATE_SUB|TIMESTAMPDIFF|TIMESTAMPADD)\s*\()", "DATE_ADD/DATE_SUB (MySQL)"},
            {R"(\bFETCH\s+(FIRST|NEXT)\b)", "FETCH FIRST/NEXT ... ROWS (standard SQL)"},
            {R"(\bOFFSET\s+\S+\s+ROWS?\b)", "OFFSET ... ROWS (T-SQL)"},
            {R"(\bQUALIFY\b)", "QUALIFY (Snowflake/BigQuery)"},
            {R"(\bDISTINCT\s+ON\s*\()", "DISTINCT ON (PostgreSQL)"},
            {R"(\b(CROSS|OUTER)\s+APPLY\b)", "CROSS/OUTER APPLY (T-SQL)"},
            {R"(\bLATERAL\b)", "LATERAL joins (PostgreSQL/MySQL)"},
            {R"(\bWITHIN\s+GROUP\b)", "WITHIN GROUP aggregates"},
            {R"(\bWITH\s*\(\s*NOLOCK\b)", "table hints (T-SQL)"},
            {R"(\b(LEFT|RIGHT)\s*\()", "LEFT()/RIGHT() string functions"},
            {R"(\bCONVERT\s*\()", "CONVERT() (T-SQL/MySQL)"},
            {R"(\bISNULL\s*\()", "ISNULL() (T-SQL)"},
            {R"(\bIF\s*\()", "IF() (MySQL)"},
            {R"(\bDECLARE\b)", "DECLARE (T-SQL/PL/pgSQL)"},
            {R"(\bSET\s+@)", "@variables (T-SQL/MySQL)"},
            {R"(\b(UN)?PIVOT\b)", "PIVOT (T-SQL/Oracle)"},
            {R"(\bMERGE\s+INTO\b)", "MERGE"},
            {R"(\bON\s+DUPLICATE\s+KEY\b)", "ON DUPLICATE KEY (MySQL)"},
            {R"(\bAUTO_INCREMENT\b)", "AUTO_INCREMENT (MySQL)"},
            {R"(\bIDENTITY\s*\()", "IDENTITY columns (T-SQL)"},
            {R"(\bTRY_(CAST|CONVERT)\b)", "TRY_CAST (T-SQL)"},
            {R"(\bSIMILAR\s+TO\b)", "SIMILAR TO (PostgreSQL)"},
            {R"(\bRLIKE\b)", "RLIKE (MySQL)"},
            {R"(\b(ROLLUP|CUBE|GROUPING\s+SETS)\b)", "ROLLUP/CUBE/GROUPING SETS"},
            {R"(\bUNNEST\s*\()", "UNNEST (PostgreSQL)"},
            {R"(\bARRAY\s*\[)", "ARRAY[...] (PostgreSQL)"},
            {R"(\b(ANY|SOME|ALL)\s*\(\s*SELECT\b)", "ANY/ALL subquery comparisons"},
            {R"(\bTABLESAMPLE\b)", "TABLESAMPLE"},
            {R"(\bCURRENT_(DATE|TIMESTAMP)\s*\()", "CURRENT_DATE() (MySQL)"},
            {R"(\bCREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\b)", "stored functions and procedures"},
            {R"(\bCREATE\s+OR\s+REPLACE\b)", "CREATE OR REPLACE"},
            {R"(\bEXEC(UTE)?\b)", "EXEC (T-SQL)"},
            {R"(\bUSING\s+(BTREE|HASH|GIN|GIST)\b)", "index methods (PostgreSQL/MySQL)"},
        };
        std::vector<Construct> compiled;
        for (const auto& [pattern, name] : patterns)
            compiled.push_back({std::regex(pattern, std::regex::ECMAScript | std::regex::icase), name});
        return compiled;
    }();
    return constructs;
}

// Date parts and type names that SQLite reads as unknown columns in DATEADD(day, ...) or CONVERT(INT, ...).
const std::array kDialectWords = {
    "day",  "days",     "month",       "months",      "year",    "years",    "week",        "weeks",
    "hour", "hours",    "minute",      "minutes",     "second",  "seconds",  "quarter",     "dd",
    "d",    "mm",       "m",           "yy",          "yyyy",    "wk",       "ww",          "hh",
    "mi",   "n",        "ss",          "s",           "dw",      "weekday",  "dy",          "dayofyear",
    "int",  "integer",  "bigint",      "smallint",    "varchar", "nvarchar", "char",        "nchar",
    "date", "datetime", "datetime2",   "decimal",     "numeric", "float",    "real",        "money",
    "bit",  "time",     "microsecond", "millisecond", "ms",      "sysdate",  "systimestamp"};

std::string lowerAscii(std::string_view text) {
    return text::toLower(text);
}

std::string upperAscii(std::string_view text) {
    std::string upper(text);
    for (auto& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
}

// The statement with comments removed and the insides of string literals blanked, so that patterns only
// see SQL. Quotes stay, so INTERVAL '1 day' still reads INTERVAL ''.
std::string skeletonOf(std::string_view sql) {
    std::string out;
    out.reserve(sql.size());
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            while (i < sql.size() && sql[i] != '\n')
                ++i;
            out += '\n';
        } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
            const auto end = sql.find("*/", i + 2);
            i = end == std::string_view::npos ? sql.size() : end + 1;
            out += ' ';
        } else if (c == '\'') {
            auto end = i + 1;
            while (end < sql.size() && sql[end] != '\'')
                ++end;
            out += "''";
            i = end;
        } else {
            out += c;
        }
    }
    return out;
}

// The first word of SQL text, lower-case, after spaces and comments.
std::string firstWord(std::string_view sql) {
    std::size_t i = 0;
    while (i < sql.size()) {
        if (std::isspace(static_cast<unsigned char>(sql[i]))) {
            ++i;
        } else if (sql.substr(i, 2) == "--") {
            const auto end = sql.find('\n', i);
            i = end == std::string_view::npos ? sql.size() : end + 1;
        } else if (sql.substr(i, 2) == "/*") {
            const auto end = sql.find("*/", i + 2);
            i = end == std::string_view::npos ? sql.size() : end + 2;
        } else {
            break;
        }
    }
    std::size_t end = i;
    while (end < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[end])) || sql[end] == '_'))
        ++end;
    return lowerAscii(sql.substr(i, end - i));
}

template <std::size_t N> bool contains(const std::array<const char*, N>& words, std::string_view word) {
    return std::any_of(words.begin(), words.end(), [&](const char* w) { return word == w; });
}

bool startsLikeSql(std::string_view text) {
    return contains(kStatementKeywords, firstWord(text));
}

bool isBlank(std::string_view text) {
    return text::trim(text).empty();
}

// The leading paragraphs of a bare answer that read as SQL: a statement, then paragraphs that start
// with a statement or clause keyword or a comment.
std::string bareSql(std::string_view answer) {
    std::string sql;
    std::size_t position = 0;
    bool first = true;
    while (position < answer.size()) {
        auto end = answer.find("\n\n", position);
        if (end == std::string_view::npos)
            end = answer.size();
        const auto paragraph = answer.substr(position, end - position);
        position = end + 2;
        if (isBlank(paragraph)) {
            sql += '\n';
            continue;
        }
        const auto trimmed = text::trim(paragraph);
        const auto word = firstWord(trimmed);
        const bool sqlLike = first ? contains(kStatementKeywords, word)
                                   : contains(kStatementKeywords, word) || contains(kClauseKeywords, word) ||
                                         trimmed.starts_with("--") || trimmed.starts_with("/*") ||
                                         trimmed.starts_with(")");
        if (!sqlLike)
            break;
        first = false;
        sql.append(paragraph);
        sql += "\n\n";
    }
    return sql;
}

struct Statement {
    std::string text;
    std::size_t offset = 0; // within the code block
};

// Splits at semicolons outside strings, identifiers and comments, where SQLite agrees the statement is
// complete (so a trigger's BEGIN ... END stays whole).
std::vector<Statement> splitStatements(std::string_view code) {
    std::vector<Statement> statements;
    std::size_t start = 0;
    const auto skipQuoted = [&](std::size_t i, char close) {
        ++i;
        while (i < code.size()) {
            if (code[i] == close) {
                if (close != ']' && i + 1 < code.size() && code[i + 1] == close) {
                    i += 2;
                    continue;
                }
                return i;
            }
            ++i;
        }
        return code.size();
    };
    for (std::size_t i = 0; i < code.size(); ++i) {
        const char c = code[i];
        if (c == '\'' || c == '"' || c == '`') {
            i = skipQuoted(i, c);
        } else if (c == '[') {
            i = skipQuoted(i, ']');
        } else if (c == '-' && i + 1 < code.size() && code[i + 1] == '-') {
            const auto end = code.find('\n', i);
            i = end == std::string_view::npos ? code.size() : end;
        } else if (c == '/' && i + 1 < code.size() && code[i + 1] == '*') {
            const auto end = code.find("*/", i + 2);
            i = end == std::string_view::npos ? code.size() : end + 1;
        } else if (c == ';') {
            std::string candidate(code.substr(start, i + 1 - start));
            if (sqlite3_complete(candidate.c_str())) {
                statements.push_back({std::move(candidate), start});
                start = i + 1;
            }
        }
    }
    if (start < code.size() && !isBlank(code.substr(start)))
        statements.push_back({std::string(code.substr(start)), start});
    return statements;
}

bool isSyntaxError(std::string_view message) {
    return message.find("syntax error") != std::string_view::npos ||
           message.find("incomplete input") != std::string_view::npos ||
           message.find("unrecognized token") != std::string_view::npos;
}

std::string_view afterPrefix(std::string_view message, std::string_view prefix) {
    return message.starts_with(prefix) ? message.substr(prefix.size()) : std::string_view{};
}

// Why a statement that failed to compile cannot be judged by SQLite; nullopt when it is simply wrong.
std::optional<std::string> dialectReason(const std::string& statement, std::string_view message,
                                         std::string_view blockDialect, bool emptySchema) {
    if (const auto function = afterPrefix(message, "no such function: "); !function.empty()) {
        const auto name = upperAscii(function);
        for (const auto& [known, dialect] : kForeignFunctions)
            if (name == known)
                return name + "() is not in this SQLite (" + std::string(dialect) + ")";
    }
    if (const auto table = afterPrefix(message, "no such table: "); !table.empty()) {
        const auto name = lowerAscii(table);
        if (emptySchema)
            return std::string("there is no database schema to check tables against");
        if (name == "dual" || name.starts_with("information_schema.") || name.starts_with("sys.") ||
            name.starts_with("pg_") || name == "generate_series")
            return name + " is a system table of another database";
    }
    if (afterPrefix(message, "unknown database ") == "information_schema")
        return std::string("information_schema belongs to another database");
    if (message.find("already exists") != std::string_view::npos)
        return std::string("the answer re-creates a schema object");

    const auto skeleton = skeletonOf(statement);
    std::optional<std::string_view> construct;
    for (const auto& candidate : foreignConstructs()) {
        if (std::regex_search(skeleton, candidate.pattern)) {
            construct = candidate.name;
            break;
        }
    }
    if (isSyntaxError(message)) {
        if (construct)
            return "uses " + std::string(*construct);
        if (!blockDialect.empty())
            return "written for " + std::string(blockDialect);
        return std::nullopt;
    }
    if (auto column = afterPrefix(message, "no such column: "); !column.empty()) {
        if (const auto dot = column.rfind('.'); dot != std::string_view::npos)
            column.remove_prefix(dot + 1);
        const auto name = lowerAscii(column);
        if (name == "sysdate" || name == "systimestamp")
            return upperAscii(name) + " is Oracle";
        if (construct && contains(kDialectWords, name))
            return "uses " + std::string(*construct);
    }
    return std::nullopt;
}

std::string oneLine(std::string_view text, std::size_t limit) {
    std::string out;
    bool space = false;
    for (const char c : text::trim(text)) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = true;
            continue;
        }
        if (space && !out.empty())
            out += ' ';
        space = false;
        out += c;
    }
    if (out.size() > limit)
        out = out.substr(0, limit) + "...";
    return out;
}

int lineAt(std::string_view code, std::size_t offset) {
    offset = std::min(offset, code.size());
    return 1 + static_cast<int>(
                   std::count(code.begin(), code.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::size_t firstNonSpace(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
        ++i;
    return i;
}

int progressCallback(void* ticks) {
    auto* counter = static_cast<long*>(ticks);
    return ++*counter > kProgressTickLimit ? 1 : 0;
}

struct StatementVerdict {
    ValidationStatus status = ValidationStatus::Passed;
    std::string message;
    int line = 0;
};

} // namespace

std::vector<CodeBlock> sqlFromAnswer(std::string_view answer) {
    const auto blocks = extractCodeBlocks(answer);
    std::vector<CodeBlock> labelled;
    std::vector<CodeBlock> unlabelled;
    for (const auto& block : blocks) {
        if (labelDialect(block.language))
            labelled.push_back(block);
        else if (block.language.empty() && startsLikeSql(block.code))
            unlabelled.push_back(block);
    }
    if (!labelled.empty())
        return labelled;
    if (!unlabelled.empty())
        return unlabelled;
    const auto trimmed = text::trim(answer);
    if (startsLikeSql(trimmed)) {
        const auto leading = static_cast<std::size_t>(trimmed.data() - answer.data());
        auto sql = bareSql(trimmed);
        if (!isBlank(sql))
            return {CodeBlock{"", std::move(sql), lineAt(answer, leading)}};
    }
    return {};
}

bool containsSqlStatement(std::string_view answer) {
    const auto sources = sqlFromAnswer(answer);
    return std::any_of(sources.begin(), sources.end(),
                       [](const CodeBlock& source) { return startsLikeSql(source.code); });
}

SqlValidator::SqlValidator(const std::string& schemaDdl) {
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        schemaError_ = std::string("cannot open an in-memory SQLite database: ") +
                       (db_ ? sqlite3_errmsg(db_) : "out of memory");
        return;
    }
    sqlite3_progress_handler(db_, 1000, progressCallback, &progressTicks_);
    loadSchema(schemaDdl);
}

SqlValidator::~SqlValidator() {
    sqlite3_close_v2(db_);
}

void SqlValidator::loadSchema(const std::string& schemaDdl) {
    sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
    const char* next = schemaDdl.c_str();
    const char* const end = next + schemaDdl.size();
    int number = 0;
    while (next < end) {
        sqlite3_stmt* statement = nullptr;
        const char* tail = nullptr;
        const char* const start = next;
        const int prepared = sqlite3_prepare_v2(db_, next, static_cast<int>(end - next), &statement, &tail);
        if (prepared == SQLITE_OK && !statement)
            break; // only spaces and comments are left
        ++number;
        int status = prepared;
        if (prepared == SQLITE_OK) {
            progressTicks_ = 0;
            while ((status = sqlite3_step(statement)) == SQLITE_ROW) {
            }
            status = status == SQLITE_DONE ? SQLITE_OK : status;
        }
        if (status != SQLITE_OK) {
            const std::string_view text(
                start, static_cast<std::size_t>((tail && tail > start ? tail : end) - start));
            schemaError_ = "statement " + std::to_string(number) + " (" + oneLine(text, 60) +
                           "): " + sqlite3_errmsg(db_);
            sqlite3_finalize(statement);
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            return;
        }
        emptySchema_ = false;
        sqlite3_finalize(statement);
        next = tail;
    }
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
}

ValidationResult SqlValidator::validate(std::string_view answer) const {
    if (!schemaError_.empty())
        return {ValidationStatus::Unjudged, "template schema does not load: " + schemaError_, 0};
    const auto sources = sqlFromAnswer(answer);
    std::vector<StatementVerdict> verdicts;
    {
        const std::lock_guard lock(mutex_);
        sqlite3_exec(db_, "SAVEPOINT sds_quality_check", nullptr, nullptr, nullptr);
        for (const auto& source : sources) {
            const std::string_view dialect = labelDialect(source.language).value_or("");
            for (const auto& [text, offset] : splitStatements(source.code)) {
                sqlite3_stmt* statement = nullptr;
                const int prepared =
                    sqlite3_prepare_v2(db_, text.c_str(), static_cast<int>(text.size()), &statement, nullptr);
                if (prepared == SQLITE_OK && !statement)
                    continue; // only comments
                if (prepared == SQLITE_OK) {
                    const auto word = firstWord(text);
                    if (word == "create" || word == "drop" || word == "alter") {
                        progressTicks_ = 0;
                        while (sqlite3_step(statement) == SQLITE_ROW) {
                        }
                    }
                    sqlite3_finalize(statement);
                    verdicts.push_back({});
                    continue;
                }
                const std::string message = sqlite3_errmsg(db_);
                std::size_t errorAt = firstNonSpace(text);
#if SQLITE_VERSION_NUMBER >= 3038000
                if (const int at = sqlite3_error_offset(db_); at >= 0)
                    errorAt = static_cast<std::size_t>(at);
#endif
                const int line = lineAt(source.code, offset + errorAt);
                if (auto reason = dialectReason(text, message, dialect, emptySchema_))
                    verdicts.push_back({ValidationStatus::Unjudged,
                                        "SQLite cannot judge this query: " + *reason + ": " + message, line});
                else
                    verdicts.push_back({ValidationStatus::Failed, message, line});
            }
        }
        sqlite3_exec(db_, "ROLLBACK TO sds_quality_check", nullptr, nullptr, nullptr);
        sqlite3_exec(db_, "RELEASE sds_quality_check", nullptr, nullptr, nullptr);
    }
    if (verdicts.empty())
        return {ValidationStatus::Failed, "no SQL query in the answer", 0};
    const auto prefix = [&](std::size_t index) {
        return verdicts.size() > 1 ? "statement " + std::to_string(index + 1) + ": " : std::string();
    };
    for (const auto wanted : {ValidationStatus::Failed, ValidationStatus::Unjudged})
        for (std::size_t i = 0; i < verdicts.size(); ++i)
            if (verdicts[i].status == wanted)
                return {wanted, prefix(i) + verdicts[i].message, verdicts[i].line};
    return {ValidationStatus::Passed, {}, 0};
}

} // namespace sds::quality
