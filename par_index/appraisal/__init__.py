"""Appraisal (thẩm định): records and rounds, proposals, the appraiser's workbook, explanations, survey merge, the trail."""
