#include "core/RunHistory.h"

#include <sqlite3.h>

namespace sds {
namespace {

class Statement {
public:
    Statement(sqlite3* db, const char* sql) { m_rc = sqlite3_prepare_v2(db, sql, -1, &m_statement, nullptr); }
    ~Statement() { sqlite3_finalize(m_statement); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    [[nodiscard]] bool prepared() const { return m_rc == SQLITE_OK; }
    void bind(int index, const std::string& text) {
        sqlite3_bind_text(m_statement, index, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    void bind(int index, std::int64_t value) { sqlite3_bind_int64(m_statement, index, value); }
    void bind(int index, int value) { sqlite3_bind_int(m_statement, index, value); }
    void bind(int index, const std::optional<std::int64_t>& value) {
        value ? sqlite3_bind_int64(m_statement, index, *value) : sqlite3_bind_null(m_statement, index);
    }
    void bind(int index, const std::optional<double>& value) {
        value ? sqlite3_bind_double(m_statement, index, *value) : sqlite3_bind_null(m_statement, index);
    }
    int step() { return sqlite3_step(m_statement); }

    [[nodiscard]] std::string text(int column) const {
        const auto* value = sqlite3_column_text(m_statement, column);
        return value ? reinterpret_cast<const char*>(value) : std::string(); // NOLINT
    }
    [[nodiscard]] std::int64_t integer(int column) const { return sqlite3_column_int64(m_statement, column); }
    [[nodiscard]] bool isNull(int column) const {
        return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
    }
    [[nodiscard]] double real(int column) const { return sqlite3_column_double(m_statement, column); }

private:
    sqlite3_stmt* m_statement = nullptr;
    int m_rc = SQLITE_ERROR;
};

constexpr const char* kColumns =
    "id, display_name, template, workflow, provider, model, parameters, requested_size, completed_rows, "
    "status, "
    "output_path, run_dir, created_at, finished_at, input_tokens, output_tokens, score, error, validation, "
    "evaluation, cost_usd, max_cost_usd, requests_done, requests_planned";

RunRecord recordFrom(const Statement& s) {
    RunRecord r;
    r.id = s.text(0);
    r.displayName = s.text(1);
    r.templateId = s.text(2);
    r.workflow = s.text(3);
    r.provider = s.text(4);
    r.model = s.text(5);
    r.parametersJson = s.text(6);
    r.requestedSize = static_cast<int>(s.integer(7));
    r.completedRows = static_cast<int>(s.integer(8));
    r.status = runStatusFromString(s.text(9)).value_or(RunStatus::Failed);
    r.outputPath = s.text(10);
    r.runDir = s.text(11);
    r.createdAtMs = s.integer(12);
    if (!s.isNull(13))
        r.finishedAtMs = s.integer(13);
    r.inputTokens = s.integer(14);
    r.outputTokens = s.integer(15);
    if (!s.isNull(16))
        r.score = s.real(16);
    r.error = s.text(17);
    r.validationJson = s.text(18);
    r.evaluationJson = s.text(19);
    if (!s.isNull(20))
        r.costUsd = s.real(20);
    if (!s.isNull(21))
        r.maxCostUsd = s.real(21);
    r.requestsDone = static_cast<int>(s.integer(22));
    r.requestsPlanned = static_cast<int>(s.integer(23));
    return r;
}

} // namespace

std::string toString(RunStatus status) {
    switch (status) {
    case RunStatus::Running:
        return "running";
    case RunStatus::Completed:
        return "completed";
    case RunStatus::Partial:
        return "partial";
    case RunStatus::Failed:
        return "failed";
    case RunStatus::Cancelled:
        return "cancelled";
    case RunStatus::Interrupted:
        return "interrupted";
    case RunStatus::StoppedAtBudget:
        return "stopped_at_budget";
    }
    return "failed";
}

std::optional<RunStatus> runStatusFromString(const std::string& text) {
    for (auto status : {RunStatus::Running, RunStatus::Completed, RunStatus::Partial, RunStatus::Failed,
                        RunStatus::Cancelled, RunStatus::Interrupted, RunStatus::StoppedAtBudget})
        if (toString(status) == text)
            return status;
    return std::nullopt;
}

RunHistory::~RunHistory() {
    if (m_db)
        sqlite3_close(m_db);
}

std::string RunHistory::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string error = m_file.string() + ": " + (message ? message : "database error");
        sqlite3_free(message);
        return error;
    }
    return {};
}

std::string RunHistory::open(const std::filesystem::path& file) {
    std::lock_guard lock(m_mutex);
    m_file = file;
    std::error_code ec;
    if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path(), ec);
    if (sqlite3_open_v2(file.c_str(), &m_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string error = file.string() + ": cannot open the run history: " +
                            (m_db ? sqlite3_errmsg(m_db) : "out of memory");
        sqlite3_close(m_db);
        m_db = nullptr;
        return error;
    }
    sqlite3_busy_timeout(m_db, 5000);
    if (auto error = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
        !error.empty())
        return error;
    return migrate();
}

int RunHistory::schemaVersion() {
    std::lock_guard lock(m_mutex);
    Statement s(m_db, "PRAGMA user_version");
    return s.step() == SQLITE_ROW ? static_cast<int>(s.integer(0)) : -1;
}

std::string RunHistory::migrate() {
    // Each step moves the schema from version i to i + 1 inside one transaction.
    static const char* const kMigrations[] = {
        "CREATE TABLE runs ("
        " id TEXT PRIMARY KEY, display_name TEXT NOT NULL, template TEXT NOT NULL, workflow TEXT NOT NULL,"
        " provider TEXT NOT NULL, model TEXT NOT NULL, parameters TEXT NOT NULL DEFAULT '{}',"
        " requested_size INTEGER NOT NULL, completed_rows INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL,"
        " output_path TEXT NOT NULL DEFAULT '', run_dir TEXT NOT NULL DEFAULT '', created_at INTEGER NOT "
        "NULL,"
        " finished_at INTEGER, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL "
        "DEFAULT 0,"
        " score REAL, error TEXT NOT NULL DEFAULT '');"
        "CREATE INDEX runs_created ON runs(created_at);",
        "ALTER TABLE runs ADD COLUMN validation TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE runs ADD COLUMN evaluation TEXT NOT NULL DEFAULT '';"
        "CREATE TABLE exports ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, path TEXT NOT NULL, format TEXT NOT "
        "NULL,"
        " part TEXT NOT NULL, rows INTEGER NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE INDEX exports_run ON exports(run_id, id);",
        "ALTER TABLE runs ADD COLUMN cost_usd REAL;"
        "ALTER TABLE runs ADD COLUMN max_cost_usd REAL;"
        "ALTER TABLE runs ADD COLUMN requests_done INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE runs ADD COLUMN requests_planned INTEGER NOT NULL DEFAULT 0;",
    };
    constexpr int kTarget = static_cast<int>(std::size(kMigrations));
    static_assert(kTarget == kSchemaVersion);
    if (auto error = exec("BEGIN IMMEDIATE"); !error.empty())
        return error;
    int version = 0;
    {
        Statement s(m_db, "PRAGMA user_version");
        if (s.step() == SQLITE_ROW)
            version = static_cast<int>(s.integer(0));
    }
    if (version > kTarget) {
        exec("ROLLBACK");
        return m_file.string() + ": the run history has schema version " + std::to_string(version) +
               ", newer than this program (" + std::to_string(kTarget) + "); update Synthetic Data Studio";
    }
    for (int step = version; step < kTarget; ++step) {
        if (auto error = exec(kMigrations[step]); !error.empty()) {
            exec("ROLLBACK");
            return error;
        }
        const std::string setVersion = "PRAGMA user_version=" + std::to_string(step + 1);
        if (auto error = exec(setVersion.c_str()); !error.empty()) {
            exec("ROLLBACK");
            return error;
        }
    }
    return exec("COMMIT");
}

std::string RunHistory::insert(const RunRecord& r) {
    std::lock_guard lock(m_mutex);
    const std::string sql =
        std::string("INSERT INTO runs (") + kColumns +
        ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24)";
    Statement s(m_db, sql.c_str());
    if (!s.prepared())
        return m_file.string() + ": " + sqlite3_errmsg(m_db);
    s.bind(1, r.id);
    s.bind(2, r.displayName);
    s.bind(3, r.templateId);
    s.bind(4, r.workflow);
    s.bind(5, r.provider);
    s.bind(6, r.model);
    s.bind(7, r.parametersJson.empty() ? std::string("{}") : r.parametersJson);
    s.bind(8, r.requestedSize);
    s.bind(9, r.completedRows);
    s.bind(10, toString(r.status));
    s.bind(11, r.outputPath);
    s.bind(12, r.runDir);
    s.bind(13, r.createdAtMs);
    s.bind(14, r.finishedAtMs);
    s.bind(15, r.inputTokens);
    s.bind(16, r.outputTokens);
    s.bind(17, r.score);
    s.bind(18, r.error);
    s.bind(19, r.validationJson);
    s.bind(20, r.evaluationJson);
    s.bind(21, r.costUsd);
    s.bind(22, r.maxCostUsd);
    s.bind(23, r.requestsDone);
    s.bind(24, r.requestsPlanned);
    if (s.step() != SQLITE_DONE)
        return m_file.string() + ": cannot record run " + r.id + ": " + sqlite3_errmsg(m_db);
    return {};
}

std::string RunHistory::update(const RunRecord& r) {
    std::lock_guard lock(m_mutex);
    Statement s(m_db,
                "UPDATE runs SET display_name=?2, template=?3, workflow=?4, provider=?5, model=?6,"
                " parameters=?7, requested_size=?8, completed_rows=?9, status=?10, output_path=?11,"
                " run_dir=?12, finished_at=?13, input_tokens=?14, output_tokens=?15, score=?16, error=?17,"
                " cost_usd=?18, max_cost_usd=?19, requests_done=?20, requests_planned=?21"
                " WHERE id=?1");
    s.bind(1, r.id);
    s.bind(2, r.displayName);
    s.bind(3, r.templateId);
    s.bind(4, r.workflow);
    s.bind(5, r.provider);
    s.bind(6, r.model);
    s.bind(7, r.parametersJson.empty() ? std::string("{}") : r.parametersJson);
    s.bind(8, r.requestedSize);
    s.bind(9, r.completedRows);
    s.bind(10, toString(r.status));
    s.bind(11, r.outputPath);
    s.bind(12, r.runDir);
    s.bind(13, r.finishedAtMs);
    s.bind(14, r.inputTokens);
    s.bind(15, r.outputTokens);
    s.bind(16, r.score);
    s.bind(17, r.error);
    s.bind(18, r.costUsd);
    s.bind(19, r.maxCostUsd);
    s.bind(20, r.requestsDone);
    s.bind(21, r.requestsPlanned);
    if (s.step() != SQLITE_DONE)
        return m_file.string() + ": cannot update run " + r.id + ": " + sqlite3_errmsg(m_db);
    return {};
}

std::string RunHistory::updateProgress(const std::string& id, int completedRows, std::int64_t inputTokens,
                                       std::int64_t outputTokens, std::optional<double> costUsd) {
    std::lock_guard lock(m_mutex);
    Statement s(m_db, "UPDATE runs SET completed_rows=?2, input_tokens=?3, output_tokens=?4,"
                      " cost_usd=COALESCE(?5, cost_usd) WHERE id=?1");
    s.bind(1, id);
    s.bind(2, completedRows);
    s.bind(3, inputTokens);
    s.bind(4, outputTokens);
    s.bind(5, costUsd);
    if (s.step() != SQLITE_DONE)
        return m_file.string() + ": " + sqlite3_errmsg(m_db);
    return {};
}

std::string RunHistory::rename(const std::string& id, const std::string& displayName) {
    std::lock_guard lock(m_mutex);
    Statement s(m_db, "UPDATE runs SET display_name=?2 WHERE id=?1");
    s.bind(1, id);
    s.bind(2, displayName);
    if (s.step() != SQLITE_DONE)
        return m_file.string() + ": " + sqlite3_errmsg(m_db);
    return sqlite3_changes(m_db) == 1 ? std::string() : "no run with id " + id;
}

std::string RunHistory::setValidation(const std::string& id, const std::string& validationJson) {
    std::lock_guard lock(m_mutex);
    Statement s(m_db, "UPDATE runs SET validation=?2 WHERE id=?1");
    s.bind(1, id);
    s.bind(2, validationJson);
    if (s.step() != SQLITE_DONE)
        return m_file.string() + ": " + sqlite3_errmsg(m_db);
    return sqlite3_changes(m_db) == 1 ? std::string() : "no run with id " + id;
}

std::string RunHistory::setEvaluation(const std::string& id, std::optional<double> score,
                                      const std::string& evaluationJson) {
    std::lock_guard lock(m_mutex);
    Statement s(m_db, "UPDATE runs SET score=?2, evaluation=?3 WHERE id=?1");
    s.bind(1, id);
    s.bind(2, score);
    s.bind(3, evaluationJson);
    if (s.step() != SQLITE_DONE)
        return m_file.string() + ": " + sqlite3_errmsg(m_db);
    return sqlite3_changes(m_db) == 1 ? std::string() : "no run with id " + id;
}

std::string RunHistory::addExport(const ExportRecord& record) {
    std::lock_guard lock(m_mutex);
    Statement s(
        m_db,
        "INSERT INTO exports (run_id, path, format, part, rows, created_at) VALUES (?1,?2,?3,?4,?5,?6)");
    s.bind(1, record.runId);
    s.bind(2, record.path);
    s.bind(3, record.format);
    s.bind(4, record.part);
    s.bind(5, record.rows);
    s.bind(6, record.createdAtMs);
    if (s.step() != SQLITE_DONE)
        return m_file.string() + ": cannot record the export: " + sqlite3_errmsg(m_db);
    return {};
}

std::vector<ExportRecord> RunHistory::exports(const std::string& runId) {
    std::lock_guard lock(m_mutex);
    Statement s(
        m_db, "SELECT run_id, path, format, part, rows, created_at FROM exports WHERE run_id=?1 ORDER BY id");
    s.bind(1, runId);
    std::vector<ExportRecord> records;
    while (s.step() == SQLITE_ROW)
        records.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5)});
    return records;
}

std::string RunHistory::remove(const std::string& id) {
    std::lock_guard lock(m_mutex);
    {
        Statement exports(m_db, "DELETE FROM exports WHERE run_id=?1");
        exports.bind(1, id);
        exports.step();
    }
    Statement s(m_db, "DELETE FROM runs WHERE id=?1");
    s.bind(1, id);
    if (s.step() != SQLITE_DONE)
        return m_file.string() + ": " + sqlite3_errmsg(m_db);
    return sqlite3_changes(m_db) == 1 ? std::string() : "no run with id " + id;
}

std::optional<RunRecord> RunHistory::find(const std::string& id) {
    std::lock_guard lock(m_mutex);
    const std::string sql = std::string("SELECT ") + kColumns + " FROM runs WHERE id=?1";
    Statement s(m_db, sql.c_str());
    s.bind(1, id);
    if (s.step() == SQLITE_ROW)
        return recordFrom(s);
    return std::nullopt;
}

std::vector<RunRecord> RunHistory::list() {
    std::lock_guard lock(m_mutex);
    const std::string sql =
        std::string("SELECT ") + kColumns + " FROM runs ORDER BY created_at DESC, id DESC";
    Statement s(m_db, sql.c_str());
    std::vector<RunRecord> records;
    while (s.step() == SQLITE_ROW)
        records.push_back(recordFrom(s));
    return records;
}

} // namespace sds
