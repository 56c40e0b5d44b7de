package eu.souverain.server.catalogue;

/** A language of the shop: its webservice id and ISO 639-1 code. */
public record ShopLanguage(int id, String isoCode) {}
