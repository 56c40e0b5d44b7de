package eu.souverain.server.catalogue;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.safety.Cleaner;
import org.jsoup.safety.Safelist;

/**
 * Generated text made fit for a shop's field, whatever the model wrote: plain text without markup,
 * or the limited HTML a product page shows (jsoup's allowlist: no script, style, event handler or
 * attribute but a link's safe href), then cut to the field's length at a word boundary, the HTML
 * kept well-formed.
 */
final class ShopText {

    /** The tags a PrestaShop description holds in practice (its TinyMCE toolbar's), with no attributes but links'. */
    private static final Safelist DESCRIPTION = new Safelist()
            .addTags("p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "span")
            .addTags("a").addAttributes("a", "href").addProtocols("a", "href", "https", "http")
            .addEnforcedAttribute("a", "rel", "nofollow");

    private static final String ELLIPSIS = "…";

    private ShopText() {}

    /** Plain text: tags dropped, entities decoded, white space collapsed, at most {@code max} characters. */
    static String plain(String text, int max) {
        String flat = Jsoup.parse(text == null ? "" : text).text().replaceAll("[<>]", " ").replaceAll("\\s+", " ").strip();
        return cut(flat, max);
    }

    /**
     * Allowed HTML only, at most {@code max} characters of markup: plain text becomes a paragraph;
     * past the limit, whole nodes are kept while they fit and the text node that crosses it is cut
     * at a word.
     */
    static String html(String text, int max) {
        String source = text == null ? "" : text.strip();
        Document dirty = Jsoup.parseBodyFragment(source);
        Document clean = new Cleaner(DESCRIPTION).clean(dirty);
        clean.outputSettings().prettyPrint(false);
        Element body = clean.body();
        if (body.children().isEmpty() && !body.text().isBlank()) {
            String words = body.text().strip();
            body.empty().appendElement("p").text(words);
        }
        if (body.html().length() > max) {
            shorten(body, max);
        }
        return body.html().strip();
    }

    /** Removes trailing content of {@code body} until its HTML fits in {@code max} characters. */
    private static void shorten(Element body, int max) {
        while (body.html().length() > max) {
            Node last = deepestLast(body);
            if (last == null) {
                return;
            }
            if (last instanceof TextNode textNode && textNode.text().length() > 1) {
                // Strictly shorter each time round, down to nothing: the loop ends.
                String words = textNode.text();
                String shorter = cut(words, Math.max(0, words.length() - (body.html().length() - max)));
                if (shorter.isEmpty()) {
                    textNode.remove();
                } else {
                    textNode.text(shorter);
                }
            } else {
                Element parent = last.parent() instanceof Element p ? p : null;
                last.remove();
                while (parent != null && parent != body && parent.childNodeSize() == 0) {
                    Element up = parent.parent();
                    parent.remove();
                    parent = up;
                }
            }
        }
    }

    private static Node deepestLast(Element element) {
        Node node = element.childNodeSize() == 0 ? null : element.childNode(element.childNodeSize() - 1);
        while (node instanceof Element e && e.childNodeSize() > 0) {
            node = e.childNode(e.childNodeSize() - 1);
        }
        return node;
    }

    /** {@code text} if it fits in {@code max} characters, else cut at the last word boundary that fits, with an ellipsis. */
    static String cut(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        if (max <= ELLIPSIS.length()) {
            return "";
        }
        int limit = max - ELLIPSIS.length();
        int space = text.lastIndexOf(' ', limit);
        String head = (space > 0 ? text.substring(0, space) : text.substring(0, limit)).stripTrailing();
        // Never leave half of a surrogate pair at the end.
        if (!head.isEmpty() && Character.isHighSurrogate(head.charAt(head.length() - 1))) {
            head = head.substring(0, head.length() - 1);
        }
        return head.replaceAll("[\\s,;:.-]+$", "") + ELLIPSIS;
    }
}
