#include "gui/SettingsPage.h"

#include "core/JsonFile.h"
#include "core/Project.h"
#include "gui/AppContext.h"
#include "gui/AppSettings.h"
#include "gui/Background.h"
#include "gui/Dialogs.h"
#include "gui/FieldMessage.h"
#include "gui/Format.h"
#include "gui/RunController.h"
#include "gui/SecretStore.h"
#include "gui/Workspace.h"
#include "providers/ProviderFactory.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace sds::gui {
namespace {

using Key = AppSettings::Key;

// Empty, or an http(s) URL with a host.
QString urlProblem(const QString& text) {
    if (text.trimmed().isEmpty())
        return {};
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid() ||
        (url.scheme() != QStringLiteral("http") && url.scheme() != QStringLiteral("https")) ||
        url.host().isEmpty())
        return QObject::tr("Give a URL starting with http:// or https://, e.g. https://example.com/v1.");
    return {};
}

QWidget* withButtons(QWidget* field, std::initializer_list<QWidget*> buttons, QWidget* parent) {
    auto* box = new QWidget(parent);
    auto* layout = new QHBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(field, 1);
    for (auto* button : buttons)
        layout->addWidget(button);
    return box;
}

} // namespace

QLineEdit* SettingsPage::addLine(const QString& objectName, const QString& placeholder, bool secret) {
    auto* line = new QLineEdit(this);
    line->setObjectName(objectName);
    line->setPlaceholderText(placeholder);
    line->setClearButtonEnabled(true);
    if (secret)
        line->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    return line;
}

SettingsPage::SettingsPage(AppContext& context, QWidget* parent) : QWidget(parent), m_context(context) {
    setObjectName(QStringLiteral("settingsPage"));
    auto* title = new QLabel(tr("Settings"), this);
    makeTitle(title);

    const auto testButton = [this](const QString& name) {
        auto* button = new QPushButton(tr("Test connection"), this);
        button->setObjectName(name);
        return button;
    };
    const auto resultLabel = [this](const QString& name) {
        auto* label = new QLabel(this);
        label->setObjectName(name);
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setVisible(false);
        return label;
    };

    // Embedded local model
    m_localModel = addLine(QStringLiteral("localModelEdit"), tr("The model set-up installed (default)"));
    auto* browseModel = new QPushButton(tr("Browse…"), this);
    browseModel->setObjectName(QStringLiteral("browseLocalModelButton"));
    auto* testLocal = testButton(QStringLiteral("testLocalButton"));
    auto* testLocalResult = resultLabel(QStringLiteral("testLocalResult"));
    auto* localBox = new QGroupBox(tr("Embedded local model"), this);
    auto* localForm = new QFormLayout(localBox);
    localForm->addRow(tr("Model file (GGUF)"), withButtons(m_localModel, {browseModel}, this));
    localForm->addRow(withButtons(testLocalResult, {testLocal}, this));

    // AWS Bedrock
    m_awsProfile = addLine(QStringLiteral("awsProfileEdit"), tr("default"));
    m_awsRegion = addLine(QStringLiteral("awsRegionEdit"), tr("from the profile, e.g. us-east-1"));
    m_awsAccessKey = addLine(QStringLiteral("awsAccessKeyEdit"), tr("from the profile or environment"), true);
    m_awsSecretKey = addLine(QStringLiteral("awsSecretKeyEdit"), tr("from the profile or environment"), true);
    m_awsSessionToken = addLine(QStringLiteral("awsSessionTokenEdit"), tr("only for temporary keys"), true);
    m_batchS3Uri = addLine(QStringLiteral("bedrockBatchS3UriEdit"), tr("s3://my-bucket/sds-batch/"));
    m_batchRoleArn =
        addLine(QStringLiteral("bedrockBatchRoleArnEdit"), tr("arn:aws:iam::123456789012:role/BedrockBatch"));
    auto* testBedrock = testButton(QStringLiteral("testBedrockButton"));
    auto* testBedrockResult = resultLabel(QStringLiteral("testBedrockResult"));
    auto* bedrockBox = new QGroupBox(tr("AWS Bedrock"), this);
    auto* bedrockForm = new QFormLayout(bedrockBox);
    bedrockForm->addRow(tr("Profile"), m_awsProfile);
    bedrockForm->addRow(tr("Region"), m_awsRegion);
    bedrockForm->addRow(tr("Access key ID"), m_awsAccessKey);
    bedrockForm->addRow(tr("Secret access key"), m_awsSecretKey);
    bedrockForm->addRow(tr("Session token"), m_awsSessionToken);
    bedrockForm->addRow(tr("Batch jobs: S3 location"), m_batchS3Uri);
    bedrockForm->addRow(tr("Batch jobs: IAM role ARN"), m_batchRoleArn);
    bedrockForm->addRow(withButtons(testBedrockResult, {testBedrock}, this));

    // Cloudera AI Inference
    m_caiiEndpoint =
        addLine(QStringLiteral("caiiEndpointEdit"), tr("https://…/namespaces/serving-default/…/v1"));
    m_caiiEndpointError = new FieldMessage(QStringLiteral("caiiEndpointError"), this);
    m_caiiToken = addLine(QStringLiteral("caiiTokenEdit"), tr("CDP token; empty: the JWT file"), true);
    m_caiiJwtFile = addLine(QStringLiteral("caiiJwtFileEdit"), QStringLiteral("/tmp/jwt"));
    auto* browseJwt = new QPushButton(tr("Browse…"), this);
    browseJwt->setObjectName(QStringLiteral("browseJwtButton"));
    auto* testCaii = testButton(QStringLiteral("testCaiiButton"));
    auto* testCaiiResult = resultLabel(QStringLiteral("testCaiiResult"));
    auto* caiiBox = new QGroupBox(tr("Cloudera AI Inference"), this);
    auto* caiiForm = new QFormLayout(caiiBox);
    caiiForm->addRow(tr("Endpoint URL"), m_caiiEndpoint);
    caiiForm->addRow(m_caiiEndpointError);
    caiiForm->addRow(tr("Token"), m_caiiToken);
    caiiForm->addRow(tr("JWT file"), withButtons(m_caiiJwtFile, {browseJwt}, this));
    caiiForm->addRow(withButtons(testCaiiResult, {testCaii}, this));

    // OpenAI-compatible
    m_openAiBaseUrl =
        addLine(QStringLiteral("openAiBaseUrlEdit"), QStringLiteral("https://api.openai.com/v1"));
    m_openAiBaseUrlError = new FieldMessage(QStringLiteral("openAiBaseUrlError"), this);
    m_openAiKey = addLine(QStringLiteral("openAiKeyEdit"), tr("optional for local servers"), true);
    auto* testOpenAi = testButton(QStringLiteral("testOpenAiButton"));
    auto* testOpenAiResult = resultLabel(QStringLiteral("testOpenAiResult"));
    auto* openAiBox = new QGroupBox(tr("OpenAI-compatible"), this);
    auto* openAiForm = new QFormLayout(openAiBox);
    openAiForm->addRow(tr("Base URL"), m_openAiBaseUrl);
    openAiForm->addRow(m_openAiBaseUrlError);
    openAiForm->addRow(tr("API key"), m_openAiKey);
    openAiForm->addRow(withButtons(testOpenAiResult, {testOpenAi}, this));

    // Secrets
    m_keychainState = new QLabel(this);
    m_keychainState->setObjectName(QStringLiteral("keychainStatusLabel"));
    m_keychainState->setWordWrap(true);
    m_sessionOnly =
        new QCheckBox(tr("Keep secrets for this session only (forgotten when the app closes)"), this);
    m_sessionOnly->setObjectName(QStringLiteral("sessionOnlyCheck"));
    m_secretsError = new FieldMessage(QStringLiteral("secretsError"), this);
    auto* secretsBox = new QGroupBox(tr("Where secrets are kept"), this);
    auto* secretsLayout = new QVBoxLayout(secretsBox);
    secretsLayout->addWidget(m_keychainState);
    secretsLayout->addWidget(m_sessionOnly);
    secretsLayout->addWidget(m_secretsError);

    // Project
    m_projectFolder =
        addLine(QStringLiteral("projectFolderEdit"), tr("SDS_PROJECT_DIR or ~/SyntheticDataStudio"));
    auto* browseProject = new QPushButton(tr("Browse…"), this);
    browseProject->setObjectName(QStringLiteral("browseProjectButton"));
    m_projectFolderError = new FieldMessage(QStringLiteral("projectFolderError"), this);
    m_concurrency = new QSpinBox(this);
    m_concurrency->setObjectName(QStringLiteral("defaultConcurrencySpin"));
    m_concurrency->setRange(1, JobSpec::kMaxConcurrency);
    m_concurrency->setToolTip(tr("Requests in flight for a new dataset (the embedded model always uses 4)"));
    auto* projectBox = new QGroupBox(tr("Project"), this);
    auto* projectForm = new QFormLayout(projectBox);
    projectForm->addRow(tr("Project folder"), withButtons(m_projectFolder, {browseProject}, this));
    projectForm->addRow(m_projectFolderError);
    projectForm->addRow(tr("Default requests in flight"), m_concurrency);

    // Prices
    m_prices = new QTableWidget(0, 4, this);
    m_prices->setObjectName(QStringLiteral("priceTable"));
    m_prices->setHorizontalHeaderLabels({tr("Provider"), tr("Model"), tr("Input"), tr("Output")});
    m_prices->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_prices->verticalHeader()->setVisible(false);
    m_prices->setMinimumHeight(180);
    auto* addPrice = new QPushButton(tr("Add price"), this);
    addPrice->setObjectName(QStringLiteral("addPriceButton"));
    auto* removePrice = new QPushButton(tr("Remove"), this);
    removePrice->setObjectName(QStringLiteral("removePriceButton"));
    removePrice->setToolTip(tr("A built-in price comes back when its row is removed"));
    m_pricesError = new FieldMessage(QStringLiteral("pricesError"), this);
    auto* pricesNote = new QLabel(tr("USD per 1M tokens. Rows you add or change are saved in the project's "
                                     "prices.json; the built-in prices stay underneath."),
                                  this);
    pricesNote->setWordWrap(true);
    auto* pricesBox = new QGroupBox(tr("Prices"), this);
    auto* pricesLayout = new QVBoxLayout(pricesBox);
    pricesLayout->addWidget(pricesNote);
    pricesLayout->addWidget(m_prices);
    pricesLayout->addWidget(m_pricesError);
    auto* priceButtons = new QHBoxLayout;
    priceButtons->addStretch();
    priceButtons->addWidget(removePrice);
    priceButtons->addWidget(addPrice);
    pricesLayout->addLayout(priceButtons);

    auto* saveButton = new QPushButton(tr("&Save settings"), this);
    saveButton->setObjectName(QStringLiteral("saveSettingsButton"));
    auto* revertButton = new QPushButton(tr("&Revert"), this);
    revertButton->setObjectName(QStringLiteral("revertSettingsButton"));
    m_saveStatus = new QLabel(this);
    m_saveStatus->setObjectName(QStringLiteral("settingsStatusLabel"));
    m_saveStatus->setVisible(false);

    auto* content = new QWidget(this);
    auto* columns = new QHBoxLayout(content);
    auto* left = new QVBoxLayout;
    left->addWidget(localBox);
    left->addWidget(openAiBox);
    left->addWidget(caiiBox);
    left->addStretch();
    auto* right = new QVBoxLayout;
    right->addWidget(bedrockBox);
    right->addWidget(secretsBox);
    right->addWidget(projectBox);
    right->addWidget(pricesBox);
    right->addStretch();
    columns->addLayout(left, 1);
    columns->addLayout(right, 1);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_saveStatus, 1);
    buttons->addWidget(revertButton);
    buttons->addWidget(saveButton);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addWidget(scroll, 1);
    layout->addLayout(buttons);

    connect(addPrice, &QPushButton::clicked, this, [this] {
        const int row = m_prices->rowCount();
        m_prices->insertRow(row);
        for (int column = 0; column < m_prices->columnCount(); ++column)
            m_prices->setItem(row, column, new QTableWidgetItem);
        m_prices->setCurrentCell(row, 0);
        m_prices->editItem(m_prices->item(row, 0));
    });
    connect(removePrice, &QPushButton::clicked, this, [this] {
        if (m_prices->currentRow() >= 0)
            m_prices->removeRow(m_prices->currentRow());
    });
    connect(saveButton, &QPushButton::clicked, this, &SettingsPage::save);
    connect(revertButton, &QPushButton::clicked, this, &SettingsPage::revert);
    connect(testLocal, &QPushButton::clicked, this,
            [this, testLocal, testLocalResult] { testConnection("local", testLocal, testLocalResult); });
    connect(testBedrock, &QPushButton::clicked, this, [this, testBedrock, testBedrockResult] {
        testConnection("bedrock", testBedrock, testBedrockResult);
    });
    connect(testCaii, &QPushButton::clicked, this,
            [this, testCaii, testCaiiResult] { testConnection("caii", testCaii, testCaiiResult); });
    connect(testOpenAi, &QPushButton::clicked, this,
            [this, testOpenAi, testOpenAiResult] { testConnection("openai", testOpenAi, testOpenAiResult); });
    connect(browseModel, &QPushButton::clicked, this, [this] {
        const QString file = Dialogs::current().openFile(
            this, tr("Choose a GGUF model"), qs(m_context.workspace().project().modelsDir().string()),
            tr("GGUF models (*.gguf)"));
        if (!file.isEmpty())
            m_localModel->setText(file);
    });
    connect(browseJwt, &QPushButton::clicked, this, [this] {
        const QString file = Dialogs::current().openFile(this, tr("Choose the JWT file"),
                                                         QStringLiteral("/tmp"), tr("All files (*)"));
        if (!file.isEmpty())
            m_caiiJwtFile->setText(file);
    });
    connect(browseProject, &QPushButton::clicked, this, [this] {
        const QString folder = Dialogs::current().folder(this, tr("Choose the project folder"),
                                                         qs(m_context.workspace().project().root().string()));
        if (!folder.isEmpty())
            m_projectFolder->setText(folder);
    });
    connect(m_sessionOnly, &QCheckBox::toggled, this, [this](bool checked) {
        m_context.secrets().setSessionOnly(checked);
        m_secretsError->clear();
    });
    connect(&m_context.secrets(), &SecretStore::stateChanged, this, &SettingsPage::updateKeychainState);
    connect(&m_context.secrets(), &SecretStore::loaded, this, &SettingsPage::revert);
    connect(&m_context.secrets(), &SecretStore::saveFailed, this, [this](const QString& error) {
        m_secretsError->show(tr("The keychain did not save a secret: %1").arg(error));
    });
    revert();
    updateKeychainState();
}

void SettingsPage::revert() {
    const auto& settings = m_context.settings();
    const auto& secrets = m_context.secrets();
    m_localModel->setText(settings.text(Key::LocalModelFile));
    m_awsProfile->setText(settings.text(Key::AwsProfile));
    m_awsRegion->setText(settings.text(Key::AwsRegion));
    m_batchS3Uri->setText(settings.text(Key::BedrockBatchS3Uri));
    m_batchRoleArn->setText(settings.text(Key::BedrockBatchRoleArn));
    m_awsAccessKey->setText(secrets.value(Secret::AwsAccessKeyId));
    m_awsSecretKey->setText(secrets.value(Secret::AwsSecretAccessKey));
    m_awsSessionToken->setText(secrets.value(Secret::AwsSessionToken));
    m_caiiEndpoint->setText(settings.text(Key::CaiiEndpoint));
    m_caiiToken->setText(secrets.value(Secret::CaiiToken));
    m_caiiJwtFile->setText(settings.text(Key::CaiiJwtFile));
    m_openAiBaseUrl->setText(settings.text(Key::OpenAiBaseUrl));
    m_openAiKey->setText(secrets.value(Secret::OpenAiApiKey));
    m_projectFolder->setText(qs(m_context.workspace().project().root().string()));
    m_concurrency->setValue(m_context.defaultConcurrency());
    for (auto* message : {m_caiiEndpointError, m_openAiBaseUrlError, m_projectFolderError, m_secretsError})
        message->clear();
    m_saveStatus->setVisible(false);
    revertPrices();
}

void SettingsPage::revertPrices() {
    const auto prices = m_context.workspace().project().loadPrices();
    m_pricesError->show(qs(prices.error));
    m_prices->setRowCount(0);
    for (const auto& entry : prices.table.entries()) {
        const int row = m_prices->rowCount();
        m_prices->insertRow(row);
        m_prices->setItem(row, 0, new QTableWidgetItem(qs(entry.provider)));
        m_prices->setItem(row, 1, new QTableWidgetItem(qs(entry.model)));
        m_prices->setItem(row, 2,
                          new QTableWidgetItem(QString::number(entry.price.inputPerMillion, 'g', 10)));
        m_prices->setItem(row, 3,
                          new QTableWidgetItem(QString::number(entry.price.outputPerMillion, 'g', 10)));
    }
}

bool SettingsPage::savePrices() {
    m_pricesError->clear();
    std::vector<PriceEntry> edited;
    const auto cell = [this](int row, int column) {
        const auto* item = m_prices->item(row, column);
        return item ? item->text().trimmed() : QString();
    };
    for (int row = 0; row < m_prices->rowCount(); ++row) {
        PriceEntry entry{ss(cell(row, 0)), ss(cell(row, 1)), {}};
        if (std::none_of(providers::knownProviders().begin(), providers::knownProviders().end(),
                         [&](const auto& known) { return known.id == entry.provider; })) {
            m_pricesError->show(
                tr("Prices, row %1: the provider must be local, bedrock, caii or openai, not \"%2\".")
                    .arg(row + 1)
                    .arg(cell(row, 0)));
            return false;
        }
        if (entry.model.empty()) {
            m_pricesError->show(
                tr("Prices, row %1: name the model (or * for every model of the provider).").arg(row + 1));
            return false;
        }
        for (const auto& [column, target] :
             {std::pair{2, &entry.price.inputPerMillion}, std::pair{3, &entry.price.outputPerMillion}}) {
            bool ok = false;
            *target = cell(row, column).toDouble(&ok);
            if (!ok || !(*target >= 0)) {
                m_pricesError->show(
                    tr("Prices, row %1: the %2 price must be a number of USD per 1M tokens, at least "
                       "0, not \"%3\".")
                        .arg(row + 1)
                        .arg(column == 2 ? tr("input") : tr("output"), cell(row, column)));
                return false;
            }
        }
        edited.push_back(std::move(entry));
    }
    PriceTable builtIn;
    (void)builtIn.loadFile(resourcesDir() / "prices.json");
    std::vector<PriceEntry> overrides;
    for (const auto& entry : edited) {
        const auto known =
            std::find_if(builtIn.entries().begin(), builtIn.entries().end(), [&](const PriceEntry& b) {
                return b.provider == entry.provider && b.model == entry.model;
            });
        if (known == builtIn.entries().end() || known->price != entry.price)
            overrides.push_back(entry);
    }
    const auto file = m_context.workspace().project().pricesFile();
    std::error_code ec;
    if (overrides.empty() && !std::filesystem::exists(file, ec))
        return true;
    const auto json =
        priceFileJson(overrides, "USD per 1M tokens, over the built-in prices; edited in Settings");
    if (auto error = writeFileAtomically(file, json.dump(2) + "\n"); !error.empty()) {
        m_pricesError->show(tr("Cannot save the prices: %1").arg(qs(error)));
        return false;
    }
    return true;
}

ProviderSettings SettingsPage::formValues() const {
    ProviderSettings values;
    const auto text = [](const QLineEdit* line) {
        return ss(line->text().trimmed());
    };
    values.localModelFile = text(m_localModel);
    values.awsProfile = text(m_awsProfile);
    values.awsRegion = text(m_awsRegion);
    values.awsAccessKeyId = text(m_awsAccessKey);
    values.awsSecretAccessKey = text(m_awsSecretKey);
    values.awsSessionToken = text(m_awsSessionToken);
    values.caiiEndpoint = text(m_caiiEndpoint);
    values.caiiToken = text(m_caiiToken);
    values.caiiJwtFile = text(m_caiiJwtFile);
    values.openAiBaseUrl = text(m_openAiBaseUrl);
    values.openAiApiKey = text(m_openAiKey);
    return values;
}

bool SettingsPage::save() {
    for (auto* message : {m_caiiEndpointError, m_openAiBaseUrlError, m_projectFolderError, m_secretsError})
        message->clear();
    bool ok = true;
    const auto check = [&ok](FieldMessage* message, const QString& problem) {
        message->show(problem);
        ok = ok && problem.isEmpty();
    };
    check(m_caiiEndpointError, urlProblem(m_caiiEndpoint->text()));
    check(m_openAiBaseUrlError, urlProblem(m_openAiBaseUrl->text()));
    const QString folder = m_projectFolder->text().trimmed();
    if (folder.isEmpty())
        check(m_projectFolderError, tr("Choose a project folder."));
    const auto values = formValues();
    const std::pair<Secret, std::string> secrets[] = {{Secret::AwsAccessKeyId, values.awsAccessKeyId},
                                                      {Secret::AwsSecretAccessKey, values.awsSecretAccessKey},
                                                      {Secret::AwsSessionToken, values.awsSessionToken},
                                                      {Secret::CaiiToken, values.caiiToken},
                                                      {Secret::OpenAiApiKey, values.openAiApiKey}};
    auto& store = m_context.secrets();
    const bool secretsChanged =
        std::any_of(std::begin(secrets), std::end(secrets),
                    [&store](const auto& secret) { return store.value(secret.first) != qs(secret.second); });
    if (secretsChanged && !store.canStore())
        check(m_secretsError,
              tr("No keychain service is running, so the keys and tokens cannot be saved. Tick "
                 "\"Keep secrets for this session only\" to use them until the app closes."));
    const bool projectChanged = ok && folder != qs(m_context.workspace().project().root().string());
    if (projectChanged && m_context.runs().activeCount() > 0)
        check(m_projectFolderError, tr("Wait for the running generations to end before changing the project "
                                       "folder."));
    if (!ok)
        return false;
    if (!projectChanged && !savePrices())
        return false;
    if (projectChanged) {
        if (const QString error = m_context.workspace().open(ss(folder)); !error.isEmpty()) {
            check(m_projectFolderError, tr("Cannot use this folder: %1").arg(error));
            return false;
        }
    }
    auto& settings = m_context.settings();
    if (projectChanged)
        settings.setValue(Key::ProjectFolder, folder);
    settings.setValue(Key::LocalModelFile, qs(values.localModelFile));
    settings.setValue(Key::AwsProfile, qs(values.awsProfile));
    settings.setValue(Key::AwsRegion, qs(values.awsRegion));
    settings.setValue(Key::BedrockBatchS3Uri, m_batchS3Uri->text().trimmed());
    settings.setValue(Key::BedrockBatchRoleArn, m_batchRoleArn->text().trimmed());
    settings.setValue(Key::CaiiEndpoint, qs(values.caiiEndpoint));
    settings.setValue(Key::CaiiJwtFile, qs(values.caiiJwtFile));
    settings.setValue(Key::OpenAiBaseUrl, qs(values.openAiBaseUrl));
    settings.setValue(Key::DefaultConcurrency, m_concurrency->value());
    settings.sync();
    for (const auto& [secret, value] : secrets)
        store.setValue(secret, qs(value));
    if (projectChanged)
        revertPrices(); // the other project's prices
    showOutcome(m_saveStatus, true,
                store.state() == SecretStore::State::NoKeychain && secretsChanged
                    ? tr("Settings saved; keys and tokens kept for this session only.")
                    : tr("Settings saved."));
    return true;
}

void SettingsPage::testConnection(const std::string& provider, QPushButton* button, QLabel* result) {
    ProviderChoice choice;
    choice.name = provider;
    const ProviderAccess access(m_context.workspace().project(), formValues());
    access.fillFromSettings(choice);
    const int generation = ++m_testGeneration[provider];
    button->setEnabled(false);
    showOutcome(result, true, provider == "local" ? tr("Starting the embedded model…") : tr("Connecting…"));
    result->setStyleSheet(QString());
    runInBackground(
        this,
        [access, choice] {
            CancellationToken cancel;
            return access.testConnection(choice, cancel);
        },
        [this, provider, generation, button, result](const ProviderAccess::TestResult& outcome) {
            button->setEnabled(true);
            if (generation != m_testGeneration[provider])
                return;
            showOutcome(result, outcome.ok, outcome.message);
        },
        providerCallPool());
}

void SettingsPage::updateKeychainState() {
    const auto& secrets = m_context.secrets();
    switch (secrets.state()) {
    case SecretStore::State::Loading:
        m_keychainState->setText(tr("Reading the system keychain…"));
        m_sessionOnly->setVisible(false);
        break;
    case SecretStore::State::Keychain:
        m_keychainState->setText(
            tr("Keys and tokens are kept in the system keychain, never in a plain file."));
        m_sessionOnly->setVisible(false);
        break;
    case SecretStore::State::NoKeychain:
        m_keychainState->setText(
            tr("No keychain service is running (%1). Keys and tokens can be kept for this session only; "
               "other "
               "settings are saved as usual.")
                .arg(secrets.keychainProblem().isEmpty() ? tr("no answer") : secrets.keychainProblem()));
        m_sessionOnly->setVisible(true);
        break;
    }
    const QSignalBlocker blocker(m_sessionOnly);
    m_sessionOnly->setChecked(secrets.sessionOnly());
}

} // namespace sds::gui
