#pragma once

#include "gui/ProviderAccess.h"

#include <QWidget>
#include <map>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace sds::gui {

class AppContext;
class FieldMessage;

// Provider credentials and endpoints, the project folder and the default concurrency. Secrets go to the
// keychain (or, by choice, this session only); a Test connection button per provider.
class SettingsPage : public QWidget {
    Q_OBJECT
public:
    explicit SettingsPage(AppContext& context, QWidget* parent = nullptr);

    // Shows what is saved, dropping unsaved edits.
    void revert();
    // Validates and saves; false (with the reasons next to the fields) when something is wrong.
    bool save();

private:
    [[nodiscard]] ProviderSettings formValues() const;
    void testConnection(const std::string& provider, QPushButton* button, QLabel* result);
    void updateKeychainState();
    QLineEdit* addLine(const QString& objectName, const QString& placeholder, bool secret = false);
    // The price table: the built-in prices with the project's prices.json over them.
    void revertPrices();
    // Writes the rows that differ from the built-in prices to the project's prices.json; false (with the
    // first bad cell named) when a row is not a price.
    bool savePrices();

    AppContext& m_context;
    QLineEdit* m_localModel;
    QLineEdit* m_awsProfile;
    QLineEdit* m_awsRegion;
    QLineEdit* m_batchS3Uri;
    QLineEdit* m_batchRoleArn;
    QLineEdit* m_awsAccessKey;
    QLineEdit* m_awsSecretKey;
    QLineEdit* m_awsSessionToken;
    QLineEdit* m_caiiEndpoint;
    QLineEdit* m_caiiToken;
    QLineEdit* m_caiiJwtFile;
    QLineEdit* m_openAiBaseUrl;
    QLineEdit* m_openAiKey;
    QLineEdit* m_projectFolder;
    QSpinBox* m_concurrency;
    QTableWidget* m_prices;
    FieldMessage* m_pricesError;
    FieldMessage* m_caiiEndpointError;
    FieldMessage* m_openAiBaseUrlError;
    FieldMessage* m_projectFolderError;
    FieldMessage* m_secretsError;
    QLabel* m_keychainState;
    QCheckBox* m_sessionOnly;
    QLabel* m_saveStatus;
    std::map<std::string, int> m_testGeneration;
};

} // namespace sds::gui
