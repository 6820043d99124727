"""A product's terms as data (:mod:`.product`), the compiled fee-line classifier, how
complete each list is, and regulatory profiles."""
