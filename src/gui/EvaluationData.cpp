#include "gui/EvaluationData.h"

#include "core/JsonStream.h"
#include "engine/Evaluation.h"
#include "engine/RunTools.h"
#include "gui/Format.h"

#include <algorithm>

namespace sds::gui {
namespace {

QString validationDisplayName(const QString& status) {
    if (status == QLatin1String(kValidationPassed))
        return QObject::tr("passed");
    if (status == QLatin1String(kValidationFailed))
        return QObject::tr("failed");
    if (status == QLatin1String(kValidationUnjudged))
        return QObject::tr("not judged");
    if (status == QLatin1String(kValidationNotApplicable))
        return QObject::tr("no code");
    return status;
}

} // namespace

EvaluationData loadEvaluationData(const std::shared_ptr<RunHistory>& history, const std::string& runId,
                                  int minScore, int maxScore) {
    EvaluationData data;
    data.minScore = minScore;
    data.maxScore = maxScore;
    engine::RunTools tools(*history);
    auto loaded = tools.load(runId);
    if (auto* error = std::get_if<std::string>(&loaded)) {
        if (auto record = history->find(runId))
            data.record = std::move(*record);
        data.error = qs(*error);
        return data;
    }
    const auto& run = std::get<engine::LoadedRun>(loaded);
    data.record = run.record;
    data.exports = history->exports(runId);

    std::vector<JudgedRow> rows;
    const std::string read = checkJsonElements(run.dataset, [&](const JsonElement& element) {
        JudgedRow row;
        row.row = element.index;
        if (auto view = engine::viewRow(element.value, run.job)) {
            row.seed = qs(view->origin);
            row.question = qs(view->question);
            row.answer = qs(view->answer);
        }
        rows.push_back(std::move(row));
    });
    if (!read.empty())
        data.error = qs(read);
    data.datasetRows = rows.size();

    std::string problem;
    const auto evaluations =
        readEvaluations(engine::evaluationFiles(run.runDir, run.dataset).results, &problem);
    if (!problem.empty() && data.error.isEmpty())
        data.error = qs(problem);
    for (const auto& evaluation : evaluations) {
        if (evaluation.row >= rows.size())
            continue;
        auto& row = rows[evaluation.row];
        row.score = evaluation.score;
        row.justification = qs(evaluation.justification);
        if (row.seed.isEmpty())
            row.seed = qs(evaluation.seed);
    }
    data.summary = summarize(evaluations);
    if (!run.record.evaluationJson.empty()) {
        const auto json = nlohmann::json::parse(run.record.evaluationJson, nullptr, false);
        if (json.is_object()) {
            const auto scale = json.value("scale", nlohmann::json::object());
            data.minScore = scale.value("min", data.minScore);
            data.maxScore = scale.value("max", data.maxScore);
            const auto judge = json.value("judge", nlohmann::json::object());
            data.judge =
                QStringLiteral("%1 / %2").arg(providerDisplayName(judge.value("provider", std::string())),
                                              qs(judge.value("model", std::string())));
        }
    }

    problem.clear();
    const auto validations = readValidations(engine::validationFile(run.runDir), &problem);
    if (!problem.empty() && data.error.isEmpty())
        data.error = qs(problem);
    data.validated = !validations.empty();
    for (const auto& validation : validations) {
        if (validation.status == kValidationPassed)
            ++data.validation.passed;
        else if (validation.status == kValidationFailed)
            ++data.validation.failed;
        else if (validation.status == kValidationUnjudged)
            ++data.validation.unjudged;
        else
            ++data.validation.notApplicable;
        if (validation.row >= rows.size())
            continue;
        auto& row = rows[validation.row];
        row.validation = qs(validation.status);
        row.validationMessage = qs(validation.message);
        if (validation.status == kValidationFailed)
            data.failed.push_back(row);
    }

    for (auto& row : rows)
        if (row.score)
            data.scored.push_back(std::move(row));
    std::stable_sort(data.scored.begin(), data.scored.end(),
                     [](const JudgedRow& a, const JudgedRow& b) { return *a.score < *b.score; });
    return data;
}

JudgedRowsModel::JudgedRowsModel(QObject* parent) : QAbstractTableModel(parent) {}

void JudgedRowsModel::setRows(std::vector<JudgedRow> rows) {
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

const JudgedRow* JudgedRowsModel::row(int index) const {
    if (index < 0 || index >= rowCount())
        return nullptr;
    return &m_rows[static_cast<std::size_t>(index)];
}

int JudgedRowsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int JudgedRowsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant JudgedRowsModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const JudgedRow& r = m_rows[static_cast<std::size_t>(index.row())];
    if (role == Qt::TextAlignmentRole)
        return index.column() == Row || index.column() == Score
                   ? QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant();
    if (role == Qt::ToolTipRole) {
        if (index.column() == Justification)
            return r.justification;
        if (index.column() == Validation)
            return r.validationMessage;
        if (index.column() == Seed)
            return r.seed;
        return {};
    }
    if (role != Qt::DisplayRole && role != SortRole)
        return {};
    const bool sorting = role == SortRole;
    switch (index.column()) {
    case Row:
        return static_cast<qulonglong>(r.row + 1);
    case Score:
        if (!r.score)
            return {};
        return sorting ? QVariant(*r.score) : QVariant(QString::number(*r.score, 'g', 3));
    case Seed:
        return cellText(r.seed);
    case Justification:
        return cellText(r.justification);
    case Validation:
        return validationDisplayName(r.validation);
    default:
        return {};
    }
}

QVariant JudgedRowsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Row:
        return tr("Row");
    case Score:
        return tr("Score");
    case Seed:
        return tr("Seed");
    case Justification:
        return tr("Justification");
    case Validation:
        return tr("Validation");
    default:
        return {};
    }
}

QString judgedRowMarkdown(const JudgedRow& row) {
    QString text = QObject::tr("**Row %1**").arg(row.row + 1);
    if (!row.seed.isEmpty())
        text += QObject::tr(" · seed: %1").arg(row.seed);
    if (row.score)
        text +=
            QObject::tr("\n\n**Score %1.** %2").arg(QString::number(*row.score, 'g', 3), row.justification);
    if (!row.validation.isEmpty())
        text += QObject::tr("\n\n**Validation: %1.** %2")
                    .arg(validationDisplayName(row.validation), row.validationMessage);
    text += QObject::tr("\n\n**Question**\n\n%1\n\n**Answer**\n\n%2").arg(row.question, row.answer);
    return text;
}

} // namespace sds::gui
