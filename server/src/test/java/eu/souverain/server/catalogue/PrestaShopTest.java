package eu.souverain.server.catalogue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The webservice client against the stand-in shop, over loopback HTTP. */
class PrestaShopTest {

    private static final String KEY = "ZR92FNY5UFRERNI3O9Z5QDHWKTP3YIIT";
    private static final PrestaShop.Retry FAST = new PrestaShop.Retry(4, Duration.ofMillis(10), Duration.ofSeconds(5));

    @Test
    void aWrongKeyIsRefusedWithoutTheKeyInTheMessage() throws Exception {
        try (StandInShop shop = new StandInShop(KEY, "8.1.2")) {
            String wrong = "WRONGKEY0000000000000000000000000";
            assertThatThrownBy(() -> new PrestaShop(shop.url(), ShopKey.of(wrong), FAST).languages())
                    .isInstanceOf(ShopException.class).hasMessageContaining("401")
                    .hasMessageContaining("refused the webservice key").hasMessageNotContaining(wrong);
            assertThat(shop.unauthorized.get()).isEqualTo(1);
            assertThat(ShopKey.of(KEY).toString()).doesNotContain(KEY);
        }
    }

    @Test
    void theStandInAnswersAsAShopDoes() throws Exception {
        try (StandInShop shop = new StandInShop(KEY, "8.1.2")) {
            shop.fillCatalogue(2);
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            var anonymous = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(shop.url() + "/api/products"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Basic realm=");
            var xml = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(shop.url() + "/api/products/1"
                    + "?ws_key=" + KEY)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(xml.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/xml");
            assertThat(xml.body()).contains("<prestashop xmlns:xlink=", "<name><language id=\"1\"",
                    "<![CDATA[Produit 1]]>", "<manufacturer_name notFilterable=\"true\">");
            var empty = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(shop.url() + "/api/products"
                    + "?output_format=JSON&filter%5Bid%5D=%5B99%5D&ws_key=" + KEY)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(empty.body()).isEqualTo("[]");
        }
    }

    @Test
    void readsLanguagesAndProductsWithTheirCategoryFeaturesAndTexts() throws Exception {
        try (StandInShop shop = new StandInShop(KEY, "8.1.2")) {
            shop.fillCatalogue(8);
            PrestaShop client = new PrestaShop(shop.url() + "/", ShopKey.of(KEY), FAST);
            assertThat(client.languages()).containsExactly(new ShopLanguage(1, "fr"), new ShopLanguage(2, "en"));
            assertThat(client.version()).isEqualTo("8.1.2");
            assertThat(client.productIds(new ProductSelection("2,5-7", null))).containsExactly(2, 5, 6, 7);
            assertThat(client.productIds(new ProductSelection(null, 4))).containsExactly(2, 4, 6, 8);
            assertThat(client.productIds(new ProductSelection("100-200", null))).isEmpty();
            List<Product> products = client.products(List.of(3, 4));
            Product filled = products.getFirst();
            assertThat(filled.id()).isEqualTo(3);
            assertThat(filled.reference()).isEqualTo("REF-3");
            assertThat(filled.name()).isEqualTo(Map.of(1, "Produit 3", 2, "Product 3"));
            assertThat(filled.category()).isEqualTo(Map.of(1, "Vêtements", 2, "Clothes"));
            assertThat(filled.features().get(2)).containsExactly("Colour: Blue", "Material: Cotton");
            assertThat(filled.text(ShopField.DESCRIPTION, 1)).isEqualTo("<p>Texte du marchand description 3</p>");
            assertThat(filled.filled(ShopField.META_TITLE, 2)).isTrue();
            assertThat(products.get(1).filled(ShopField.META_TITLE, 2)).isFalse();
        }
    }

    @Test
    void patchesOnPrestaShop8AndPutsTheWholeProductBefore() throws Exception {
        try (StandInShop shop = new StandInShop(KEY, "8.1.2")) {
            shop.fillCatalogue(2);
            new PrestaShop(shop.url(), ShopKey.of(KEY), FAST).write(1, Map.of(ShopField.META_TITLE,
                    Map.of(1, "Titre <b>&]]>"), ShopField.DESCRIPTION, Map.of(2, "<p>Soft</p>")), WriteMethod.AUTO);
            assertThat(StandInShop.lang(shop.products.get(1), "meta_title")).containsEntry(1, "Titre <b>&]]>");
            assertThat(StandInShop.lang(shop.products.get(1), "description")).containsEntry(2, "<p>Soft</p>");
            assertThat(shop.writesOf(1, "meta_title", 1)).isEqualTo(1);
            assertThat(shop.writesOf(1, "meta_title", 2)).isZero();
        }
        try (StandInShop old = new StandInShop(KEY, "1.7.8.11")) {
            old.fillCatalogue(3);
            PrestaShop client = new PrestaShop(old.url(), ShopKey.of(KEY), FAST);
            assertThatThrownBy(() -> client.write(3, Map.of(ShopField.META_TITLE, Map.of(1, "x")), WriteMethod.PATCH))
                    .isInstanceOf(ShopException.class).hasMessageContaining("405");
            client.write(3, Map.of(ShopField.META_TITLE, Map.of(1, "Nouveau titre")), WriteMethod.AUTO);
            Map<String, Object> product = old.products.get(3);
            assertThat(StandInShop.lang(product, "meta_title")).isEqualTo(Map.of(1, "Nouveau titre",
                    2, "Merchant text meta_title 3"));
            // The rest of the resource went back as it was: a PUT that lost a field would have emptied it.
            assertThat(StandInShop.lang(product, "description")).containsEntry(1, "<p>Texte du marchand description 3</p>");
            assertThat(StandInShop.lang(product, "name")).containsEntry(2, "Product 3");
            assertThat(product.get("price")).isEqualTo("19.900000");
            assertThat(old.writesOf(3, "meta_title", 1)).isEqualTo(1);
            assertThat(old.writesOf(3, "description", 1) + old.writesOf(3, "name", 2)).isZero();
        }
    }

    @Test
    void retries5xxAnd429HonouringRetryAfterThenGivesUp() throws Exception {
        try (StandInShop shop = new StandInShop(KEY, "8.1.2")) {
            shop.fillCatalogue(2);
            PrestaShop client = new PrestaShop(shop.url(), ShopKey.of(KEY), FAST);
            client.languages();
            shop.throttleEveryNthWrite = 1;
            shop.failEveryNthWrite = 0;
            // Every write is throttled: four attempts, three waits of Retry-After: 1.
            long started = System.nanoTime();
            assertThatThrownBy(() -> client.write(1, Map.of(ShopField.META_TITLE, Map.of(1, "x")), WriteMethod.PATCH))
                    .isInstanceOf(ShopException.class).hasMessageContaining("429").hasMessageContaining("4 attempts");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
            shop.throttleEveryNthWrite = 0;
            shop.failEveryNthWrite = 2;
            shop.writeRequests.set(0);
            client.write(2, Map.of(ShopField.META_TITLE, Map.of(1, "y")), WriteMethod.PATCH);
            client.write(2, Map.of(ShopField.META_TITLE, Map.of(2, "z")), WriteMethod.PATCH);
            assertThat(shop.injectedFailures.get()).isEqualTo(4 + 1);
            assertThat(StandInShop.lang(shop.products.get(2), "meta_title")).isEqualTo(Map.of(1, "y", 2, "z"));
        }
    }
}
