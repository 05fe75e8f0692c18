-- name: last_pay_date
-- grain: one row
-- params:
-- columns: d DATE
-- source: the default snapshot date: the latest local pay date in orders (NULL without orders)
SELECT max(paid_at)::DATE AS d FROM orders
