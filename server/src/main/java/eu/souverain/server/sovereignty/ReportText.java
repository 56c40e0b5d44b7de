package eu.souverain.server.sovereignty;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The sovereignty report as a person reads it: three questions, each a short section, from its JSON form. */
public final class ReportText {

    private final StringBuilder out = new StringBuilder();

    private ReportText() {}

    public static String of(JsonNode report) {
        ReportText text = new ReportText();
        text.write(report);
        return text.out.toString();
    }

    private void write(JsonNode r) {
        line("Sovereignty report, " + r.path("generated_at").asText()
                + (r.path("scope").path("all_organizations").asBoolean() ? " (every organization)" : " (organization "
                + names(r.path("scope").path("organizations"), "name") + ")"));

        JsonNode where = r.path("where");
        section("WHERE THE DATA IS");
        line("  host " + where.path("host").asText() + ", data directory " + where.path("data_directory").asText());
        if (where.path("local_engine").isObject()) {
            line("  local engine: " + where.path("local_engine").path("description").asText());
        }
        for (JsonNode category : where.path("data")) {
            String name = category.path("category").asText();
            switch (name) {
                case "keys" -> {
                    line("  keys: master key in " + category.path("master_key").asText());
                    line("        audit signing key: " + category.path("audit_signing_key").asText());
                }
                case "model files" -> {
                    if (category.path("files").isEmpty()) {
                        line("  model files: none given");
                    }
                    for (JsonNode file : category.path("files")) {
                        line("  model file " + file.path("model").asText() + ": " + file.path("path").asText()
                                + (file.path("bytes").isNumber() ? " (" + file.path("bytes").asLong() + " bytes)" : ""));
                    }
                }
                case "operational logs" -> line("  operational logs (" + category.path("content").asText() + "): "
                        + strings(category.path("destinations")) + ", level " + category.path("level").asText());
                default -> {
                    line("  " + name + ": " + category.path("location").asText() + "; "
                            + category.path("protection").asText());
                    if (category.path("checkpoint_copies").size() > 0) {
                        line("        checkpoint copies: " + strings(category.path("checkpoint_copies")));
                    }
                }
            }
        }

        section("BACKENDS (use in the last 30 days, from the audit log)");
        for (JsonNode b : r.path("backends")) {
            JsonNode use = b.path("last_30_days");
            line("  " + b.path("name").asText() + (b.path("configured").asBoolean(true) ? "" : " (no longer configured)")
                    + (b.path("remote").asBoolean() ? " remote " + b.path("base_url").asText() : "")
                    + (b.path("location").isObject() ? ", " + b.path("location").path("description").asText() : "")
                    + ": " + (use.path("used").asBoolean() ? use.path("requests").asLong() + " requests" : "not used")
                    + (use.path("refused").asLong() > 0 ? ", " + use.path("refused").asLong() + " refused by policy" : ""));
            for (JsonNode o : use.path("by_organization")) {
                line("      " + o.path("organization").asText(o.path("organization_id").asText()) + ": "
                        + o.path("requests").asLong() + " requests (" + o.path("failed").asLong() + " failed), "
                        + o.path("refused").asLong() + " refused");
            }
        }

        JsonNode access = r.path("access");
        section("WHO HAS ACCESS");
        for (JsonNode u : access.path("users")) {
            line("  user " + u.path("email").asText() + " (" + u.path("role").asText() + ")"
                    + (u.path("disabled").asBoolean() ? " disabled" : "") + ", last sign-in "
                    + orNever(u.path("last_sign_in_at")));
        }
        for (JsonNode k : access.path("api_keys")) {
            line("  API key " + k.path("id").asText() + " '" + k.path("name").asText() + "' [" + strings(k.path("scopes"))
                    + "] " + k.path("state").asText() + ", last used " + orNever(k.path("last_used_at")));
        }
        JsonNode operators = access.path("operators");
        if (operators.has("error")) {
            line("  operators: " + operators.path("error").asText());
        } else {
            line("  operator accounts that can read " + operators.path("data_directory").asText() + " ("
                    + operators.path("owner").asText() + ":" + operators.path("group").asText() + " "
                    + operators.path("permissions").asText() + "): " + strings(operators.path("can_read"))
                    + (operators.path("every_account").asBoolean() ? ", and EVERY account on the host" : ""));
        }
        if (operators.has("warning")) {
            line("  WARNING: " + operators.path("warning").asText());
        }
        if (operators.has("database")) {
            line("  " + operators.path("database").asText());
        }

        JsonNode security = r.path("security");
        section("SECURITY LEVEL");
        JsonNode encryption = security.path("encryption");
        line("  encryption: " + encryption.path("algorithm").asText());
        line("  key provider: " + encryption.path("key_provider").asText() + "; current master key "
                + encryption.path("current_master_key").asText() + ", last rotation: "
                + encryption.path("last_rotation").asText());
        JsonNode dataKeys = encryption.path("data_keys");
        line("  data keys: " + dataKeys.path("live").asLong() + " live, " + dataKeys.path("destroyed").asLong()
                + " destroyed" + (dataKeys.path("oldest_age_days").isNumber()
                ? ", oldest " + dataKeys.path("oldest_age_days").asLong() + " days old" : ""));
        JsonNode tls = security.path("tls");
        line("  TLS: " + tls.path("status").asText() + ". Advice: " + tls.path("advice").asText() + ".");
        JsonNode audit = security.path("audit");
        line("  audit chain: " + (audit.path("chain_intact").asBoolean()
                ? "intact, " + audit.path("entries_checked").asLong() + " entries checked"
                : "BROKEN" + (audit.path("first_broken_entry").isNumber()
                        ? " at entry " + audit.path("first_broken_entry").asLong() : "")
                        + ": " + audit.path("reason").asText()));
        JsonNode checkpoint = audit.path("last_signed_checkpoint");
        line("  last signed checkpoint: " + (checkpoint.isObject() ? checkpoint.path("at").asText() + ", "
                + checkpoint.path("entry_count").asLong() + " entries" : "none yet"));
        for (JsonNode o : security.path("retention").path("organizations")) {
            line("  retention, " + o.path("organization").asText() + ": " + o.path("status").asText());
        }
        for (JsonNode o : security.path("redaction")) {
            line("  redaction for remote backends, " + o.path("organization").asText() + ": "
                    + (o.path("enabled").asBoolean() ? "on (" + strings(o.path("kinds")) + ")" : "off"));
        }
        List<String> outbound = new ArrayList<>();
        security.path("outbound_connections")
                .forEach(c -> outbound.add(c.path("purpose").asText() + " " + c.path("url").asText()));
        line("  outbound connections allowed: " + (outbound.isEmpty() ? "none" : String.join("; ", outbound))
                + " (" + security.path("outbound_note").asText() + ")");
    }

    private void section(String title) {
        out.append('\n').append(title).append('\n');
    }

    private void line(String text) {
        out.append(text).append('\n');
    }

    private static String strings(JsonNode array) {
        List<String> all = new ArrayList<>();
        array.forEach(n -> all.add(n.asText()));
        return String.join(", ", all);
    }

    private static String names(JsonNode array, String field) {
        List<String> all = new ArrayList<>();
        array.forEach(n -> all.add(n.path(field).asText()));
        return String.join(", ", all);
    }

    private static String orNever(JsonNode time) {
        return time.isTextual() ? time.asText() : "never";
    }
}
