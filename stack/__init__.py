"""Running the whole stack on one host: supervisord, `njia serve` start order, the first start."""
