package eu.souverain.server.documents;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.poi.xslf.usermodel.XMLSlideShow;
import org.apache.poi.xslf.usermodel.XSLFSlide;
import org.apache.poi.xslf.usermodel.XSLFTextBox;
import org.apache.poi.xwpf.usermodel.XWPFDocument;
import org.apache.poi.xwpf.usermodel.XWPFParagraph;
import org.apache.poi.xwpf.usermodel.XWPFRun;

/**
 * A small corpus of French and English documents in every format libraries take, written by the
 * tests themselves (PDFBox, Apache POI, an ODT zipped by hand, HTML, Markdown, text), with facts
 * that only one document holds, and the questions that find them.
 */
public final class TestCorpus {

    private TestCorpus() {
    }

    /** A file to upload: its name, its bytes, and the facts only it holds, one per section. */
    public record File(String name, byte[] bytes, List<String> facts) {
    }

    /** A question and the file whose fact answers it. */
    public record Question(String text, String file) {
    }

    private static final String FILLER_EN = "This document is maintained by the human resources department and is"
            + " reviewed every year. Employees should read it carefully and ask their manager when in doubt.";
    private static final String FILLER_FR = "Ce document est tenu à jour par la direction des ressources humaines et"
            + " revu chaque année. Les salariés doivent le lire attentivement et interroger leur responsable en cas de"
            + " doute.";

    public static List<File> files() {
        List<File> files = new ArrayList<>();
        files.add(pdf("safety-manual.pdf", List.of(
                "Forklift operators must renew their certification every 18 months at the Lyon training centre.",
                "The emergency assembly point for the Rotterdam depot is the north parking lot near gate 7."),
                FILLER_EN));
        files.add(pdf("reglement-interieur.pdf", List.of(
                "Les salariés bénéficient de 27 jours de congés payés par an.",
                "Le télétravail est autorisé trois jours par semaine après la période d'essai."), FILLER_FR));
        files.add(docx("expense-policy.docx", "Expense policy", List.of(
                "Hotel expenses are reimbursed up to 140 euros per night in Paris.",
                "Taxi receipts must be submitted within 30 days."), FILLER_EN));
        files.add(docx("politique-informatique.docx", "Politique informatique", List.of(
                "Les mots de passe doivent comporter au moins 14 caractères.",
                "Les ordinateurs portables sont chiffrés avec BitLocker."), FILLER_FR));
        files.add(odt("supplier-onboarding.odt", "Supplier onboarding", List.of(
                "New suppliers must provide an ISO 27001 certificate.",
                "Payment terms for suppliers are 45 days end of month."), FILLER_EN));
        files.add(odt("procedure-qualite.odt", "Procédure qualité", List.of(
                "Chaque lot de production est contrôlé par échantillonnage de 5 pièces.",
                "Les réclamations des clients sont traitées sous 72 heures."), FILLER_FR));
        files.add(pptx("quarterly-results.pptx", "Quarterly results", List.of(
                "Revenue in the third quarter reached 12.4 million euros.",
                "The Nordic subsidiary opened an office in Oslo."), FILLER_EN));
        files.add(pptx("plan-strategique.pptx", "Plan stratégique", List.of(
                "L'entreprise vise la neutralité carbone en 2030.",
                "Un nouvel entrepôt ouvrira à Marseille au printemps."), FILLER_FR));
        files.add(text("support-faq.html", html("Customer support FAQ", List.of(
                "The support hotline is open from 8am to 6pm on weekdays.",
                "Refunds are issued to the original payment card within 10 business days."), FILLER_EN)));
        files.add(text("guide-accueil.html", html("Guide d'accueil", List.of(
                "La cantine est ouverte de 11h30 à 14h.",
                "Le badge d'accès est remis par le service de sécurité au rez-de-chaussée."), FILLER_FR)));
        files.add(text("engineering-handbook.md", markdown("Engineering handbook", List.of(
                "Production deployments are frozen every Friday after 3pm.",
                "Code reviews require two approvals before merging."), FILLER_EN)));
        files.add(text("charte-astreinte.md", markdown("Charte d'astreinte", List.of(
                "L'astreinte est rémunérée 150 euros par semaine.",
                "Le délai d'intervention pendant une astreinte est de 30 minutes."), FILLER_FR)));
        files.add(text("travel-guidelines.txt", plain("Travel guidelines", List.of(
                "Economy class is mandatory for flights shorter than six hours.",
                "Rail travel is preferred between Paris and Brussels."), FILLER_EN)));
        files.add(text("note-mutuelle.txt", plain("Note sur la mutuelle", List.of(
                "La mutuelle d'entreprise couvre les lunettes à hauteur de 300 euros.",
                "Les ayants droit peuvent être ajoutés dans un délai de deux mois."), FILLER_FR)));
        return files;
    }

    public static List<Question> questions() {
        return List.of(
                new Question("How often must forklift operators renew their certification?", "safety-manual.pdf"),
                new Question("Where is the emergency assembly point of the Rotterdam depot?", "safety-manual.pdf"),
                new Question("Combien de jours de congés payés par an ?", "reglement-interieur.pdf"),
                new Question("Combien de jours de télétravail par semaine ?", "reglement-interieur.pdf"),
                new Question("What is the hotel expense limit per night in Paris?", "expense-policy.docx"),
                new Question("Within how many days must taxi receipts be submitted?", "expense-policy.docx"),
                new Question("Quelle longueur minimale pour les mots de passe ?", "politique-informatique.docx"),
                new Question("Comment les ordinateurs portables sont-ils chiffrés ?", "politique-informatique.docx"),
                new Question("Which certificate must new suppliers provide?", "supplier-onboarding.odt"),
                new Question("What are the payment terms for suppliers?", "supplier-onboarding.odt"),
                new Question("Comment chaque lot de production est-il contrôlé ?", "procedure-qualite.odt"),
                new Question("Sous quel délai les réclamations des clients sont-elles traitées ?", "procedure-qualite.odt"),
                new Question("What was the revenue in the third quarter?", "quarterly-results.pptx"),
                new Question("Where did the Nordic subsidiary open an office?", "quarterly-results.pptx"),
                new Question("Quand l'entreprise vise-t-elle la neutralité carbone ?", "plan-strategique.pptx"),
                new Question("Où ouvrira le nouvel entrepôt ?", "plan-strategique.pptx"),
                new Question("When is the support hotline open?", "support-faq.html"),
                new Question("How are refunds issued?", "support-faq.html"),
                new Question("À quelle heure la cantine est-elle ouverte ?", "guide-accueil.html"),
                new Question("Qui remet le badge d'accès ?", "guide-accueil.html"),
                new Question("When are production deployments frozen?", "engineering-handbook.md"),
                new Question("How many approvals do code reviews require?", "engineering-handbook.md"),
                new Question("Combien est rémunérée l'astreinte ?", "charte-astreinte.md"),
                new Question("Quel est le délai d'intervention pendant une astreinte ?", "charte-astreinte.md"),
                new Question("Is economy class mandatory for short flights?", "travel-guidelines.txt"),
                new Question("Which travel is preferred between Paris and Brussels?", "travel-guidelines.txt"),
                new Question("Combien la mutuelle couvre-t-elle pour les lunettes ?", "note-mutuelle.txt"),
                new Question("Dans quel délai ajouter les ayants droit à la mutuelle ?", "note-mutuelle.txt"));
    }

    private static File text(String name, String content) {
        return new File(name, content.getBytes(StandardCharsets.UTF_8), List.of());
    }

    static String html(String title, List<String> facts, String filler) {
        StringBuilder html = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>")
                .append(title).append("</title><script>var tracking = 1;</script></head><body><h1>").append(title)
                .append("</h1>");
        int section = 1;
        for (String fact : facts) {
            html.append("<h2>Section ").append(section++).append("</h2><p>").append(fact).append("</p><p>")
                    .append(filler).append("</p>");
        }
        return html.append("</body></html>").toString();
    }

    static String markdown(String title, List<String> facts, String filler) {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        int section = 1;
        for (String fact : facts) {
            md.append("## Section ").append(section++).append("\n\n").append(fact).append("\n\n").append(filler)
                    .append("\n\n");
        }
        return md.toString();
    }

    static String plain(String title, List<String> facts, String filler) {
        StringBuilder text = new StringBuilder(title).append("\n\n");
        for (String fact : facts) {
            text.append(fact).append("\n\n").append(filler).append("\n\n");
        }
        return text.toString();
    }

    /** A PDF with one page per fact, each with the filler after it. */
    public static File pdf(String name, List<String> facts, String filler) {
        List<List<String>> pages = new ArrayList<>();
        for (String fact : facts) {
            pages.add(List.of(fact, filler));
        }
        return new File(name, pdfPages(pages, null), facts);
    }

    /** A PDF of {@code pages}, each a list of paragraphs; encrypted with {@code password} unless null. */
    public static byte[] pdfPages(List<List<String>> pages, String password) {
        try (PDDocument document = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
            for (List<String> paragraphs : pages) {
                PDPage page = new PDPage();
                document.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(document, page)) {
                    content.beginText();
                    content.setFont(font, 11);
                    content.setLeading(16);
                    content.newLineAtOffset(50, 720);
                    for (String paragraph : paragraphs) {
                        for (String line : wrap(paragraph, 90)) {
                            content.showText(line);
                            content.newLine();
                        }
                        content.newLine();
                    }
                    content.endText();
                }
            }
            if (password != null) {
                StandardProtectionPolicy policy = new StandardProtectionPolicy("owner-" + password, password,
                        new AccessPermission());
                policy.setEncryptionKeyLength(128);
                document.protect(policy);
            }
            document.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() + word.length() + 1 > width && !line.isEmpty()) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.isEmpty() ? "" : " ").append(word);
        }
        if (!line.isEmpty()) {
            lines.add(line.toString());
        }
        return lines;
    }

    public static File docx(String name, String title, List<String> facts, String filler) {
        try (XWPFDocument document = new XWPFDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            XWPFRun heading = document.createParagraph().createRun();
            heading.setBold(true);
            heading.setText(title);
            for (String fact : facts) {
                document.createParagraph().createRun().setText(fact);
                XWPFParagraph more = document.createParagraph();
                more.createRun().setText(filler);
            }
            document.write(out);
            return new File(name, out.toByteArray(), facts);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static File pptx(String name, String title, List<String> facts, String filler) {
        try (XMLSlideShow show = new XMLSlideShow(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            for (String fact : facts) {
                XSLFSlide slide = show.createSlide();
                XSLFTextBox box = slide.createTextBox();
                box.setAnchor(new java.awt.Rectangle(50, 50, 600, 400));
                box.setText(title);
                box.addNewTextParagraph().addNewTextRun().setText(fact);
                box.addNewTextParagraph().addNewTextRun().setText(filler);
            }
            show.write(out);
            return new File(name, out.toByteArray(), facts);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An OpenDocument text, zipped by hand: the mimetype first and stored, the manifest, the content. */
    public static File odt(String name, String title, List<String> facts, String filler) {
        StringBuilder body = new StringBuilder("<text:h text:outline-level=\"1\">").append(xml(title)).append("</text:h>");
        for (String fact : facts) {
            body.append("<text:p>").append(xml(fact)).append("</text:p><text:p>").append(xml(filler)).append("</text:p>");
        }
        String content = """
                <?xml version="1.0" encoding="UTF-8"?>
                <office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
                    xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
                <office:body><office:text>%s</office:text></office:body></office:document-content>""".formatted(body);
        return new File(name, odtOf(content), facts);
    }

    /** An ODT whose content.xml is {@code content}, as given. */
    public static byte[] odtOf(String content) {
        String manifest = """
                <?xml version="1.0" encoding="UTF-8"?>
                <manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
                <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
                <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
                </manifest:manifest>""";
        try (ByteArrayOutputStream out = new ByteArrayOutputStream(); ZipOutputStream zip = new ZipOutputStream(out)) {
            byte[] mimetype = "application/vnd.oasis.opendocument.text".getBytes(StandardCharsets.US_ASCII);
            ZipEntry first = new ZipEntry("mimetype");
            first.setMethod(ZipEntry.STORED);
            first.setSize(mimetype.length);
            CRC32 crc = new CRC32();
            crc.update(mimetype);
            first.setCrc(crc.getValue());
            zip.putNextEntry(first);
            zip.write(mimetype);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("META-INF/manifest.xml"));
            zip.write(manifest.getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("content.xml"));
            zip.write(content.getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            zip.finish();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String xml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
