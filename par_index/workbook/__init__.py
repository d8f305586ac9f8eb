"""The self-assessment workbook (phiếu tự đánh giá): layout, live formulas, writing and reading it back."""
