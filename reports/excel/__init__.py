"""Excel renderers: the results export, the monthly figures workbook and the import template."""
