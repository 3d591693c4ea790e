#include "engine/Validation.h"

#include "core/JsonStream.h"
#include "core/quality/PythonChecker.h"
#include "core/quality/SqlValidator.h"
#include "core/quality/Validation.h"
#include "engine/Evaluation.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <unistd.h>

namespace sds::engine {

nlohmann::json toJson(const ValidationCounts& counts) {
    return {{"passed", counts.passed},
            {"failed", counts.failed},
            {"unjudged", counts.unjudged},
            {"not_applicable", counts.notApplicable}};
}

ValidationCounts validationCountsFromJson(const nlohmann::json& json) {
    ValidationCounts counts;
    if (!json.is_object())
        return counts;
    counts.passed = json.value("passed", std::size_t{0});
    counts.failed = json.value("failed", std::size_t{0});
    counts.unjudged = json.value("unjudged", std::size_t{0});
    counts.notApplicable = json.value("not_applicable", std::size_t{0});
    return counts;
}

std::filesystem::path validationFile(const std::filesystem::path& runDir) {
    return runDir / "validation.jsonl";
}

ValidationReport validateDataset(const JobSpec& job, const std::filesystem::path& dataset,
                                 const std::filesystem::path& results) {
    ValidationReport report;
    const auto kind = quality::validatorKindFromString(job.validator.empty() ? "none" : job.validator);
    // Curation outputs have no fixed form, whatever the template checks in its own rows.
    if (!kind || *kind == quality::ValidatorKind::None || job.workflow == Workflow::CustomDataCuration)
        return report;
    report.ran = true;

    std::unique_ptr<quality::SqlValidator> sql;
    std::unique_ptr<quality::PythonSyntaxChecker> python;
    if (*kind == quality::ValidatorKind::Sql)
        sql = std::make_unique<quality::SqlValidator>(job.databaseSchema);
    else
        python = std::make_unique<quality::PythonSyntaxChecker>();

    const std::filesystem::path temporary = results.string() + ".tmp-" + std::to_string(::getpid());
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
        report.error = results.string() + ": cannot write: " + std::strerror(errno);
        return report;
    }
    report.error = checkJsonElements(dataset, [&](const JsonElement& element) {
        const auto row = viewRow(element.value, job);
        quality::ValidationResult result;
        if (!row)
            result = {quality::ValidationStatus::NotApplicable, "the row has no answer", 0};
        else if (sql)
            result = sql->validate(row->answer);
        else
            result = quality::validateCodeAnswer(row->answer, *python);
        switch (result.status) {
        case quality::ValidationStatus::Passed:
            ++report.counts.passed;
            break;
        case quality::ValidationStatus::Failed:
            ++report.counts.failed;
            if (report.firstFailures.size() < 5)
                report.firstFailures.push_back("row " + std::to_string(element.index + 1) + ": " +
                                               result.message);
            break;
        case quality::ValidationStatus::Unjudged:
            ++report.counts.unjudged;
            break;
        case quality::ValidationStatus::NotApplicable:
            ++report.counts.notApplicable;
            break;
        }
        nlohmann::json line = {{"row", element.index},
                               {"status", quality::toString(result.status)},
                               {"message", result.message}};
        if (result.line > 0)
            line["line"] = result.line;
        out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    });
    out.close();
    std::error_code ec;
    if (!report.error.empty() || !out) {
        if (report.error.empty())
            report.error = results.string() + ": write failed";
        std::filesystem::remove(temporary, ec);
        return report;
    }
    std::filesystem::rename(temporary, results, ec);
    if (ec) {
        report.error = results.string() + ": cannot replace: " + ec.message();
        std::filesystem::remove(temporary, ec);
    }
    return report;
}

} // namespace sds::engine
