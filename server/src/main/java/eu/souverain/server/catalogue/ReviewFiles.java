package eu.souverain.server.catalogue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dry run's proposals, for a person to review before anything is written: the same rows as CSV
 * (for a spreadsheet) and JSON lines (for a script), each with the product, language, field, the
 * shop's text before and the proposed text after, and the signed statement that it is AI-generated.
 */
public final class ReviewFiles {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 500;

    /** One proposal, decrypted. */
    public record Proposal(int productId, int languageId, String language, String field, String before, String after,
                           String sha256, String provenance) {

        public Map<String, Object> json() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("product", productId);
            json.put("language", language);
            json.put("language_id", languageId);
            json.put("field", field);
            json.put("before", before);
            json.put("after", after);
            json.put("sha256", sha256);
            json.put("provenance", provenance);
            return json;
        }
    }

    private ReviewFiles() {}

    /** A page of the job's proposals (or written fields, whose texts are not kept), decrypted. */
    public static List<Proposal> proposals(CatalogueStore store, CatalogueJob job, int limit, int offset) {
        return store.fields(job.id(), limit, offset).stream().map(row -> {
            String record = job.id() + "/" + row.productId() + "/" + row.languageId() + "/" + row.field().wireName();
            return new Proposal(row.productId(), row.languageId(), row.language(), row.field().wireName(),
                    decrypt(store, job, record + "/before", row.before()), decrypt(store, job, record + "/after", row.after()),
                    row.sha256(), row.provenance());
        }).toList();
    }

    private static String decrypt(CatalogueStore store, CatalogueJob job, String record, byte[] ciphertext) {
        return ciphertext == null ? null
                : new String(store.decrypt(job.organizationId(), record, ciphertext), StandardCharsets.UTF_8);
    }

    /** Writes {@code base}.csv and {@code base}.jsonl, each whole or not at all; returns the rows written. */
    public static int write(CatalogueStore store, CatalogueJob job, Path base) throws IOException {
        Path csv = base.resolveSibling(base.getFileName() + ".csv");
        Path jsonl = base.resolveSibling(base.getFileName() + ".jsonl");
        Path csvPart = csv.resolveSibling(csv.getFileName() + ".part");
        Path jsonlPart = jsonl.resolveSibling(jsonl.getFileName() + ".part");
        int rows = 0;
        try (Writer c = Files.newBufferedWriter(csvPart, StandardCharsets.UTF_8);
             Writer j = Files.newBufferedWriter(jsonlPart, StandardCharsets.UTF_8)) {
            c.write("product,language,field,before,after,sha256,provenance\r\n");
            for (int offset = 0; ; offset += PAGE) {
                List<Proposal> page = proposals(store, job, PAGE, offset);
                for (Proposal p : page) {
                    c.write(String.join(",", Integer.toString(p.productId()), csv(p.language()), csv(p.field()),
                            csv(p.before()), csv(p.after()), csv(p.sha256()), csv(p.provenance())) + "\r\n");
                    j.write(JSON.writeValueAsString(p.json()) + "\n");
                    rows++;
                }
                if (page.size() < PAGE) {
                    break;
                }
            }
        }
        Files.move(csvPart, csv, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(jsonlPart, jsonl, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return rows;
    }

    /** RFC 4180 quoting; a leading = + - @ is defused so that a spreadsheet never runs it as a formula. */
    static String csv(String value) {
        if (value == null) {
            return "";
        }
        String safe = !value.isEmpty() && "=+-@\t\r".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
        return "\"" + safe.replace("\"", "\"\"") + "\"";
    }
}
