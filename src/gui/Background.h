#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <type_traits>
#include <utility>

namespace sds::gui {

// Runs `work` on a pool thread and `done(result)` on `context`'s thread afterwards. If `context` is
// destroyed first, `done` is dropped; `work` must therefore not touch `context`.
template <typename Work, typename Done>
void runInBackground(QObject* context, Work work, Done done,
                     QThreadPool* pool = QThreadPool::globalInstance()) {
    using Result = std::invoke_result_t<Work&>;
    auto* watcher = new QFutureWatcher<Result>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, done = std::move(done)]() mutable {
                         if constexpr (std::is_void_v<Result>)
                             done();
                         else
                             done(watcher->result());
                         watcher->deleteLater();
                     });
    watcher->setFuture(QtConcurrent::run(pool, std::move(work)));
}

// Provider calls wait on the network for up to their timeout: they get threads of their own so they never
// hold up file work.
[[nodiscard]] QThreadPool* providerCallPool();

} // namespace sds::gui
