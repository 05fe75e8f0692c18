-- name: quote_products
-- engines: duckdb (read by the quote's per-generation lookup)
-- grain: one row per sku of products
-- params:
-- columns: sku VARCHAR, list_price DECIMAL, category_leaf VARCHAR, category_l1 VARCHAR
-- source: docs/offers.md §The quote: the base is products.list_price; a coupon's categories match category_leaf or
--   category_l1
SELECT sku, list_price, category_leaf, category_l1
FROM products
ORDER BY sku
