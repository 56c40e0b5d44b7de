package eu.souverain.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.catalogue.Enrichment;
import eu.souverain.server.tenancy.MovableClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The catalogue job's progress as a terminal shows it: redrawn in place, with the rate and the time left. */
class ProgressBarTest {

    @Test
    void redrawsInPlaceWithDoneTotalRateAndEta() {
        MovableClock clock = new MovableClock();
        StringWriter text = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(text), true, clock);
        bar.started(Map.of(1, "fr", 2, "en"), 200);
        clock.advance(Duration.ofMinutes(1));
        bar.progressed(new Enrichment.Counts(200, 50, 300, 10, 0));
        assertThat(text.toString()).endsWith("\r[=======                       ] 50/200 products, 300 fields, 50.0/min, ETA 3:00");
        clock.advance(Duration.ofMinutes(3));
        Enrichment.Counts end = new Enrichment.Counts(200, 200, 1200, 40, 0);
        bar.progressed(end);
        bar.finish(end);
        assertThat(text.toString()).endsWith("\r[==============================] 200/200 products, 1200 fields, 50.0/min,"
                + " ETA --:--" + System.lineSeparator());
        assertThat(bar.elapsed()).isEqualTo("4:00");
    }
}
