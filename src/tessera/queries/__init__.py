"""The ``query`` entity's own routes besides the generic ones: where it is used, by whom."""
