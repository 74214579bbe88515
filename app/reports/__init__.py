"""Official Vietnamese reports (Nghị định 30/2020/NĐ-CP layout): data in, PDF bytes out. No Qt."""
