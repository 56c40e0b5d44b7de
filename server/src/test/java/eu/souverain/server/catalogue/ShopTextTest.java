package eu.souverain.server.catalogue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a shop's field receives of whatever a model wrote. */
class ShopTextTest {

    @Test
    void metaFieldsArePlainTextWithinTheirLimitCutAtAWord() {
        String title = ShopField.META_TITLE.conform("<h1>Le <b>T-shirt</b> en coton bio</h1> qui dure, doux et"
                + " respirant, pour toutes les saisons et toutes les occasions");
        assertThat(title).doesNotContain("<", ">").hasSizeLessThanOrEqualTo(70).endsWith("…");
        assertThat(title).startsWith("Le T-shirt en coton bio qui dure");
        assertThat(title.substring(0, title.length() - 1)).doesNotEndWith(" ").matches(".*\\p{L}$");
        String description = ShopField.META_DESCRIPTION.conform("a ".repeat(200) + "<script>alert(1)</script>");
        assertThat(description).hasSizeLessThanOrEqualTo(160).doesNotContain("script", "<");
        assertThat(ShopField.META_TITLE.conform("Court &amp; net")).isEqualTo("Court & net");
    }

    @Test
    void descriptionsKeepAllowedTagsOnlyWithoutDangerousAttributes() {
        String html = ShopField.DESCRIPTION.conform("<p onclick=\"steal()\" style=\"color:red\" class=\"x\">Doux"
                + " <strong>coton</strong></p><script>alert(1)</script><style>p{}</style><img src=x onerror=alert(1)>"
                + "<a href=\"javascript:alert(1)\">lien</a><a href=\"https://shop.example/guide\">guide</a>"
                + "<iframe src=\"https://evil.example\"></iframe><ul><li>Un</li></ul>");
        assertThat(html).isEqualTo("<p>Doux <strong>coton</strong></p><a rel=\"nofollow\">lien</a>"
                + "<a href=\"https://shop.example/guide\" rel=\"nofollow\">guide</a><ul><li>Un</li></ul>");
    }

    @Test
    void plainTextBecomesAParagraphAndLongHtmlIsCutWellFormed() {
        assertThat(ShopField.DESCRIPTION_SHORT.conform("Un sac solide & léger")).isEqualTo("<p>Un sac solide &amp; léger</p>");
        String longHtml = "<ul>" + "<li>Une ligne de texte assez longue pour compter</li>".repeat(40) + "</ul>";
        String cut = ShopField.DESCRIPTION_SHORT.conform(longHtml);
        assertThat(cut.length()).isLessThanOrEqualTo(800);
        assertThat(cut).startsWith("<ul><li>").endsWith("</li></ul>");
        assertThat(cut.split("<li>", -1).length - 1).isEqualTo(cut.split("</li>", -1).length - 1);
        String oneParagraph = ShopField.DESCRIPTION_SHORT.conform("<p>" + "mot ".repeat(400) + "</p>");
        assertThat(oneParagraph).hasSizeLessThanOrEqualTo(800).startsWith("<p>mot mot").endsWith("…</p>");
    }
}
