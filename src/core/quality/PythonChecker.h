#pragma once

#include "core/quality/Validation.h"

#include <filesystem>
#include <mutex>
#include <optional>
#include <string_view>
#include <sys/types.h>

namespace sds::quality {

// Checks Python syntax with the system Python's own compiler, never running the code: one long-lived
// `python3 -I -S -c <script>` child per checker reads length-prefixed sources on stdin, compiles each with
// compile(source, "<answer>", "exec", dont_inherit=True) (top-level await allowed, warnings off) and answers
// one JSON line {"ok", "line", "message"}. The child is started on the first check and restarted when it
// has died or stops answering (30 s). Thread-safe: checks take turns on the child.
class PythonSyntaxChecker {
public:
    // python3 on PATH.
    [[nodiscard]] static std::optional<std::filesystem::path> findPython();

    PythonSyntaxChecker(); // uses findPython()
    explicit PythonSyntaxChecker(std::optional<std::filesystem::path> python);
    ~PythonSyntaxChecker();
    PythonSyntaxChecker(const PythonSyntaxChecker&) = delete;
    PythonSyntaxChecker& operator=(const PythonSyntaxChecker&) = delete;

    // Passed; Failed "line 3: invalid syntax" with the line within `code`; Unjudged when there is no
    // python3 or it cannot be run.
    [[nodiscard]] ValidationResult check(std::string_view code);

    [[nodiscard]] int childStarts() const; // how many children were started (tests, diagnostics)

private:
    bool startLocked(std::string& error);
    void stopLocked();
    // One request and its answer line; false with `error` when the child failed.
    bool exchangeLocked(std::string_view code, std::string& answer, std::string& error);

    std::optional<std::filesystem::path> python_;
    mutable std::mutex mutex_;
    pid_t pid_ = -1;
    int socket_ = -1;
    int starts_ = 0;
};

// Checks the code of an answer: every ```python (py, python3, py3, ipython) block, and every unlabelled
// block that reads like Python, is compiled on its own. The first syntax error makes the answer Failed with
// "line N: message" (N within that block; "block K, line N: ..." when several blocks were checked). Blocks
// in other languages are not judged: an answer with only those is Unjudged "no checker for <languages>";
// next to a checked Python block they are ignored. An answer without any fenced code block is Failed
// "no code block in the answer": the Code Generation template asks for code in fenced blocks.
[[nodiscard]] ValidationResult validateCodeAnswer(std::string_view answer, PythonSyntaxChecker& checker);

// Heuristic for unlabelled blocks: Python statements (def, class, import, from ... import, print(, ...) and
// nothing typical of C-like languages, shells or SQL.
[[nodiscard]] bool looksLikePython(std::string_view code);

} // namespace sds::quality
