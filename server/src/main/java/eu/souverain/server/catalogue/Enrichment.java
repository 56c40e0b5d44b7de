package eu.souverain.server.catalogue;

import eu.souverain.server.audit.AuditEvent;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.limits.LimitExceeded;
import eu.souverain.server.provenance.SignedStatement;
import eu.souverain.server.provenance.Statement;
import eu.souverain.server.sovereignty.ResidencyException;
import eu.souverain.server.tenancy.Principal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Runs a catalogue job: reads the selected products, writes the fields that are empty (or all of
 * them, with overwrite) in each language with the model, and writes them back to the shop, at most
 * {@code concurrency} products (hence writes) at a time. Each product's fields are committed in
 * the store, with their audit entries, as soon as the shop has taken them; a job run again skips
 * every field it committed, so that a restart after a crash writes no field twice. A dry run
 * commits its proposals, encrypted, instead of writing the shop.
 */
public final class Enrichment {

    /** Calls per product and language, at most, until every field has a usable text. */
    static final int GENERATION_ATTEMPTS = 3;
    private static final long PROGRESS_INTERVAL_NANOS = 500_000_000L;

    /** Counts of a run, as the progress bar and the summary show them. */
    public record Counts(long totalProducts, long doneProducts, long written, long skipped, long failed) {}

    /** Told of a run's progress, from the threads that make it. */
    public interface Listener {
        void started(Map<Integer, String> languages, long totalProducts);

        void progressed(Counts counts);

        /** Whether the job should stop where it is and stay unfinished, to resume later (the server stops). */
        default boolean stopping() {
            return false;
        }

        /** A product or field that failed, and why (never holding the key). */
        default void problem(String message) {}
    }

    private final CatalogueStore store;
    private final ModelCalls calls;
    private final PrestaShop.Retry retry;

    public Enrichment(CatalogueStore store, ModelCalls calls, PrestaShop.Retry retry) {
        this.store = store;
        this.calls = calls;
        this.retry = retry;
    }

    public CatalogueStore store() {
        return store;
    }

    /** Runs (or resumes) {@code job} as {@code caller}; returns the run's counts once it has ended, well or not. */
    public Counts run(CatalogueJob job, ShopKey key, Principal caller, String clientIp, Listener listener) {
        Run run = new Run(job, key, caller, clientIp, listener);
        try {
            run.run();
            if (listener.stopping()) {
                return run.counts();
            }
            run.progressed(true);
            store.finish(job.id(), CatalogueJob.Status.SUCCEEDED, run.failed.get() > 0
                    ? run.failed.get() + " fields failed; the first: " + run.firstProblem.get() : null);
        } catch (RuntimeException e) {
            if (!listener.stopping()) {
                store.finish(job.id(), CatalogueJob.Status.FAILED, e.getMessage());
            }
            throw e;
        }
        return run.counts();
    }

    private final class Run {
        private final CatalogueJob job;
        private final EnrichmentSettings settings;
        private final PrestaShop shop;
        private final Principal caller;
        private final String clientIp;
        private final Listener listener;
        private final TextGenerator generator;
        private final AtomicLong total = new AtomicLong();
        private final AtomicLong done = new AtomicLong();
        private final AtomicLong written = new AtomicLong();
        private final AtomicLong skipped = new AtomicLong();
        private final AtomicLong failed = new AtomicLong();
        private final AtomicReference<String> firstProblem = new AtomicReference<>();
        private final AtomicReference<String> lastFailure = new AtomicReference<>();
        /** What stops the whole job: the shop refuses the key, the model is refused or unknown. */
        private final AtomicReference<RuntimeException> fatal = new AtomicReference<>();
        private Set<String> committed;
        private long lastStored = System.nanoTime() - PROGRESS_INTERVAL_NANOS;

        Run(CatalogueJob job, ShopKey key, Principal caller, String clientIp, Listener listener) {
            this.job = job;
            this.settings = job.settings();
            this.shop = new PrestaShop(settings.shopUrl(), key, retry);
            this.caller = caller;
            this.clientIp = clientIp;
            this.listener = listener;
            this.generator = new TextGenerator(calls, caller, clientIp, settings);
        }

        Counts counts() {
            return new Counts(total.get(), done.get(), written.get(), skipped.get(), failed.get());
        }

        void run() {
            List<ShopLanguage> languages = languages();
            Map<Integer, String> isoCodes = languages.stream().collect(Collectors.toMap(ShopLanguage::id, ShopLanguage::isoCode,
                    (a, b) -> a, LinkedHashMap::new));
            List<Integer> ids = settings.fromReview() != null ? store.productIds(settings.fromReview())
                    : shop.productIds(settings.selection());
            total.set(ids.size());
            store.running(job.id(), ids.size());
            committed = ConcurrentHashMap.newKeySet();
            committed.addAll(store.committed(job.id()));
            written.set(committed.size());
            listener.started(isoCodes, ids.size());
            int concurrency = settings.concurrency();
            Semaphore slots = new Semaphore(concurrency * 2);
            try (ExecutorService workers = Executors.newFixedThreadPool(concurrency, Thread.ofVirtual().factory())) {
                for (int from = 0; from < ids.size() && fatal.get() == null && !listener.stopping();
                     from += PrestaShop.PAGE) {
                    List<Product> page = shop.products(ids.subList(from, Math.min(ids.size(), from + PrestaShop.PAGE)));
                    for (Product product : page) {
                        slots.acquireUninterruptibly();
                        if (fatal.get() != null || listener.stopping()) {
                            slots.release();
                            break;
                        }
                        workers.execute(() -> {
                            try {
                                product(product, languages);
                            } finally {
                                slots.release();
                            }
                        });
                    }
                }
            }
            if (fatal.get() != null) {
                throw fatal.get();
            }
        }

        private List<ShopLanguage> languages() {
            List<ShopLanguage> all = shop.languages();
            List<ShopLanguage> chosen = new ArrayList<>();
            for (String iso : settings.languages()) {
                chosen.add(all.stream().filter(l -> l.isoCode().equalsIgnoreCase(iso)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("the shop has no language '" + iso + "'; it has "
                                + all.stream().map(ShopLanguage::isoCode).collect(Collectors.joining(", ")))));
            }
            return chosen;
        }

        private void product(Product product, List<ShopLanguage> languages) {
            if (fatal.get() != null || listener.stopping()) {
                return;
            }
            Map<ShopField, Map<Integer, String>> texts = new EnumMap<>(ShopField.class);
            List<CatalogueStore.FieldRow> rows = new ArrayList<>();
            List<AuditEvent> events = new ArrayList<>();
            try {
                Map<Integer, Map<ShopField, TextGenerator.Text>> reviewed = settings.fromReview() == null ? Map.of()
                        : reviewed(product.id());
                for (ShopLanguage language : languages) {
                    List<ShopField> todo = new ArrayList<>();
                    for (ShopField field : settings.fields()) {
                        if (committed.contains(CatalogueStore.FieldRow.key(product.id(), language.id(), field))) {
                            continue;
                        }
                        if (!settings.overwrite() && product.filled(field, language.id())) {
                            skipped.incrementAndGet();
                        } else {
                            todo.add(field);
                        }
                    }
                    if (todo.isEmpty()) {
                        continue;
                    }
                    Map<ShopField, TextGenerator.Text> generated = new EnumMap<>(ShopField.class);
                    if (settings.fromReview() != null) {
                        reviewed.getOrDefault(language.id(), Map.of()).forEach((field, text) -> {
                            if (todo.contains(field)) {
                                generated.put(field, text);
                            }
                        });
                        todo.clear();
                    }
                    // A small model sometimes leaves a field empty or runs out of tokens: ask again for what is missing.
                    for (int attempt = 1; attempt <= GENERATION_ATTEMPTS && !todo.isEmpty(); attempt++) {
                        Map<ShopField, TextGenerator.Text> more = generate(product, language, todo);
                        if (more != null) {
                            generated.putAll(more);
                            todo.removeAll(more.keySet());
                        }
                    }
                    if (!todo.isEmpty()) {
                        problem(todo.size(), "product " + product.id() + " in " + language.isoCode() + ": no usable "
                                + todo.stream().map(ShopField::wireName).collect(Collectors.joining(", ")) + " after "
                                + GENERATION_ATTEMPTS + " attempts" + (lastFailure.get() == null ? ""
                                : " (" + lastFailure.get() + ")"));
                    }
                    generated.forEach((field, text) -> {
                        texts.computeIfAbsent(field, f -> new LinkedHashMap<>()).put(language.id(), text.text());
                        rows.add(row(product, language, field, text));
                        events.add(generatedEvent(product, language, field, text));
                    });
                }
                if (rows.isEmpty()) {
                    return;
                }
                // Audited before the write: a text in the shop is in the log, even if the process dies right after.
                store.generated(events);
                if (!settings.dryRun()) {
                    shop.write(product.id(), texts, settings.writeMethod());
                }
                store.commit(job.id(), rows);
                rows.forEach(row -> committed.add(row.key()));
                written.addAndGet(rows.size());
            } catch (ShopException e) {
                if (e.status() == 401 || e.status() == 403) {
                    fatal.compareAndSet(null, e);
                }
                problem(rows.size(), "product " + product.id() + ": " + e.getMessage());
            } catch (BackendException | ResidencyException | LimitExceeded e) {
                fatal.compareAndSet(null, e);
            } catch (RuntimeException e) {
                // The store, say, too busy under load: this product's fields are not committed, and the
                // next run does them (or finds them filled, if the shop took them), never twice.
                problem(rows.size(), "product " + product.id() + ": " + e.getMessage());
            } finally {
                done.incrementAndGet();
                progressed(false);
            }
        }

        /** The counts as they are now, stored and told in order: one worker's older figures never overwrite newer ones. */
        private synchronized void progressed(boolean last) {
            Counts counts = counts();
            long now = System.nanoTime();
            // Stored twice a second at most: each product's own commit is what a restart relies on.
            if (last || now - lastStored >= PROGRESS_INTERVAL_NANOS) {
                store.progress(job.id(), counts.doneProducts(), counts.skipped(), counts.failed());
                lastStored = now;
            }
            listener.progressed(counts);
        }

        /** The texts, or null when the call failed; a refusal of the model stops the job. */
        private Map<ShopField, TextGenerator.Text> generate(Product product, ShopLanguage language, List<ShopField> todo) {
            for (int attempt = 1; ; attempt++) {
                try {
                    return generator.generate(product, language, todo);
                } catch (BackendException e) {
                    if (e.reason() == BackendException.Reason.MODEL_NOT_FOUND) {
                        throw e;
                    }
                    // A full queue empties; an interactive request goes first, and the job waits its turn.
                    if ((e.reason() == BackendException.Reason.BUSY || e.reason() == BackendException.Reason.UNAVAILABLE)
                            && attempt < 60) {
                        sleep(500L * Math.min(attempt, 10));
                        continue;
                    }
                    lastFailure.set(e.getMessage());
                    return null;
                } catch (ResidencyException | LimitExceeded e) {
                    throw e;
                } catch (IOException e) {
                    lastFailure.set(e.getMessage());
                    return null;
                }
            }
        }

        private void problem(int fields, String message) {
            failed.addAndGet(fields);
            firstProblem.compareAndSet(null, message);
            listener.problem(message);
        }

        /** The texts a reviewed dry run proposed for a product, by language id and field, with their statements. */
        private Map<Integer, Map<ShopField, TextGenerator.Text>> reviewed(int productId) {
            Map<Integer, Map<ShopField, TextGenerator.Text>> texts = new LinkedHashMap<>();
            for (CatalogueStore.FieldRow row : store.fieldsOf(settings.fromReview(), productId)) {
                String record = settings.fromReview() + "/" + productId + "/" + row.languageId() + "/"
                        + row.field().wireName() + "/after";
                String text = new String(store.decrypt(job.organizationId(), record, row.after()), StandardCharsets.UTF_8);
                texts.computeIfAbsent(row.languageId(), l -> new EnumMap<>(ShopField.class)).put(row.field(),
                        new TextGenerator.Text(text, SignedStatement.fromToken(row.provenance())));
            }
            return texts;
        }

        private CatalogueStore.FieldRow row(Product product, ShopLanguage language, ShopField field,
                                            TextGenerator.Text text) {
            String record = job.id() + "/" + product.id() + "/" + language.id() + "/" + field.wireName();
            byte[] before = null;
            byte[] after = null;
            if (settings.dryRun()) {
                // A proposal is kept until it is reviewed: the shop's texts, encrypted as conversations are.
                before = store.encrypt(job.organizationId(), record + "/before",
                        product.text(field, language.id()).getBytes(StandardCharsets.UTF_8));
                after = store.encrypt(job.organizationId(), record + "/after",
                        text.text().getBytes(StandardCharsets.UTF_8));
            }
            return new CatalogueStore.FieldRow(product.id(), language.id(), language.isoCode(), field,
                    Statement.sha256(text.text()), !settings.dryRun(), before, after, text.provenance().token());
        }

        private AuditEvent generatedEvent(Product product, ShopLanguage language, ShopField field,
                                          TextGenerator.Text text) {
            Statement statement = text.provenance().statement();
            return new AuditEvent(job.organizationId(), caller.actorId(), "catalogue.text.generated",
                    "AI-generated " + (settings.dryRun() ? "proposal" : "text") + ": job " + job.id()
                            + (settings.fromReview() != null ? " (reviewed in " + settings.fromReview() + ")" : "")
                            + " product " + product.id() + " field " + field.wireName() + " language "
                            + language.isoCode() + " model " + statement.model() + " sha256 " + statement.sha256(),
                    statement.backend(), statement.location(), clientIp, AuditEvent.Outcome.SUCCESS);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
