#!/usr/bin/env python3
"""Makes the WPS-style corpus in tests/malformed/wps/ from the bundled sample plant.

Each file is the official-layout inventory of tests/samples/cn-ets-2024-plant.toml
(tests/samples/cn-ets-2024-plant-inventory.xlsx, written by `lvyue demo`) with
one quirk of files written by WPS Office (wrong or missing <dimension>, Windows
path separators in the zip, WPS document properties, .xls with WPS's CLSID or a
wrong DIMENSIONS record), a layout carbon managers' own tools write (quarter
subtotal columns, unit and fuel columns), or one mistake a user makes in the
official tables. cases.toml says how each is run and what must come out;
host/tests/all/layouts.rs runs them through `lvyue evaluate` and `lvyue validate`.

    python3 tests/malformed/wps/make.py

Needs openpyxl and, for the .xls files, LibreOffice (`soffice`). tests/samples/
is only read.
"""

import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import tomllib
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "..", "samples")
PLANT = os.path.join(SAMPLES, "cn-ets-2024-plant-inventory.xlsx")
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
C3 = "附表C.3 化石燃料燃烧排放表"
C2 = "附表C.2 机组及生产设施信息表"


def out(name):
    return os.path.join(HERE, name)


def read_zip(path):
    with zipfile.ZipFile(path) as z:
        return [(i.filename, i.compress_type, z.read(i.filename)) for i in z.infolist()]


def write_zip(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        for name, compress, data in entries:
            zi = zipfile.ZipInfo(name, FIXED_TIME)
            zi.compress_type = compress
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)


def part_of(entries, sheet):
    """The zip part of a sheet, by its name (workbook.xml and its rels)."""
    parts = dict((n, d) for n, _, d in entries)
    wb = parts["xl/workbook.xml"].decode()
    rid = re.search(r'<sheet name="%s" sheetId="\d+" (?:state="\w+" )?r:id="(rId\d+)"' % re.escape(sheet), wb).group(1)
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    target = re.search(r'Id="%s" Type="[^"]+" Target="([^"]+)"' % rid, rels).group(1)
    return "xl/" + target.lstrip("/").removeprefix("xl/")


def edit(src, dst, sheet_edits=None, part_edits=None, rename=None):
    """Copies the plant workbook, applying edits: {sheet: [fn(xml)]}, {part: fn(bytes)}, rename(name)."""
    entries = read_zip(src)
    targets = {part_of(entries, s): fns for s, fns in (sheet_edits or {}).items()}
    result = []
    for name, compress, data in entries:
        if name in targets:
            xml = data.decode()
            for fn in targets[name]:
                xml = fn(xml)
            data = xml.encode()
        if part_edits and name in part_edits:
            data = part_edits[name](data)
        if data is None:
            continue
        result.append((rename(name) if rename else name, compress, data))
    if part_edits:
        for name, fn in part_edits.items():
            if name not in [n for n, _, _ in entries]:
                result.append((name, zipfile.ZIP_DEFLATED, fn(None)))
    write_zip(dst, result)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(ref, text=None, error=None):
    """Replaces cell `ref` by an inline string or an error value, keeping its style."""

    def fn(xml):
        m = re.search(r'<c r="%s"( s="\d+")?[^>]*?(/>|>.*?</c>)' % ref, xml)
        assert m, ref
        style = m.group(1) or ""
        if error:
            new = '<c r="%s"%s t="e"><v>%s</v></c>' % (ref, style, esc(error))
        else:
            new = '<c r="%s"%s t="inlineStr"><is><t>%s</t></is></c>' % (ref, style, esc(text))
        return xml[: m.start()] + new + xml[m.end():]

    return fn


def dimension(ref):
    def fn(xml):
        if ref is None:
            return re.sub(r"<dimension ref=\"[^\"]*\"/>", "", xml)
        return re.sub(r"<dimension ref=\"[^\"]*\"/>", '<dimension ref="%s"/>' % ref, xml)

    return fn


# ---------------------------------------------------------------- WPS quirks, read correctly


def every_sheet(entries_src, fn):
    entries = read_zip(entries_src)
    return {name: [fn] for name in [n for n in re.findall(r'<sheet name="([^"]+)"', dict((n, d) for n, _, d in entries)["xl/workbook.xml"].decode())]}


def wps_dimension_a1():
    edit(PLANT, out("wps-dimension-A1.xlsx"), sheet_edits=every_sheet(PLANT, dimension("A1")))


def wps_dimension_missing():
    edit(PLANT, out("wps-dimension-missing.xlsx"), sheet_edits=every_sheet(PLANT, dimension(None)))


def wps_backslash_paths():
    # Zip entries named with Windows path separators, as some WPS builds write them.
    edit(PLANT, out("wps-backslash-paths.xlsx"), rename=lambda n: n.replace("/", "\\"))


def wps_document_properties():
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        # No xsi:type on the dates, a time-zone offset, a WPS user: POI's "OPC Compliance error [M4.3]".
        "<dc:creator>WPS_1700000000</dc:creator><cp:lastModifiedBy>碳排放管理员</cp:lastModifiedBy>"
        "<dcterms:created>2024-10-09T09:30:00+08:00</dcterms:created><dcterms:modified>2024-10-09T10:00:00+08:00</dcterms:modified>"
        "</cp:coreProperties>"
    ).encode()
    app = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        "<Application>WPS 表格</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop></Properties>"
    ).encode()
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer"><vt:lpwstr>2052-12.1.0.16120</vt:lpwstr></property>'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="ICV"><vt:lpwstr>5A8F3C1E2B4D4E6F</vt:lpwstr></property>'
        "</Properties>"
    ).encode()

    def types(data):
        t = data.decode()
        return t.replace(
            "</Types>",
            '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
        ).encode()

    def rels(data):
        t = data.decode()
        return t.replace(
            "</Relationships>",
            '<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>',
        ).encode()

    edit(
        PLANT,
        out("wps-document-properties.xlsx"),
        part_edits={"docProps/core.xml": lambda _: core, "docProps/app.xml": lambda _: app, "docProps/custom.xml": lambda _: custom, "[Content_Types].xml": types, "_rels/.rels": rels},
    )


def plant_request():
    with open(os.path.join(SAMPLES, "cn-ets-2024-plant.toml"), "rb") as f:
        return tomllib.load(f)


def dcs_layout():
    """The fuel table as a DCS-fed filler writes it: 机组 and 燃料品种 as columns (merged
    down), months in E–G, I–K, M–O, Q–S with quarter subtotals in H, L, P, T, then 全年;
    footnote markers and lettered headers; units as 万Nm³ and MW∙h."""
    import openpyxl

    req = plant_request()
    rows = req["tables"]["monthly_parameters"]
    wb = openpyxl.load_workbook(PLANT)
    del wb[C3]
    ws = wb.create_sheet("附表 C.3 化石燃料燃烧排放表", 2)
    ws["A1"] = "附表 C.3 化石燃料燃烧排放表（DCS导出）"
    head = ["A机组*1", "B燃料品种", "C信息项*1*2", "D单位"]
    cols = {}
    c = 5
    for q in range(4):
        for k in range(3):
            m = q * 3 + k + 1
            cols[m] = c
            c += 1
        cols["Q%d" % (q + 1)] = c
        c += 1
    cols["year"] = c
    ws.cell(3, 1).value = head[0]
    for i, h in enumerate(head):
        ws.cell(3, i + 1).value = h
    for key, col in cols.items():
        if key == "year":
            ws.cell(3, col).value = "全年"
        elif isinstance(key, int):
            ws.cell(3, col).value = "%d\n月" % key
        else:
            ws.cell(3, col).value = ["第一季度", "第二季度", "第三季度", "第四季度"][int(key[1]) - 1]
    ws.cell(3, c + 1).value = "获取方式"
    ws.cell(3, c + 2).value = "数据来源*3"
    ws.cell(3, c + 3).value = "支撑材料*4"
    r = 4
    series = {}
    for row in rows:
        if row.get("fuel"):
            series.setdefault((row["group"], row["fuel"], row["item"]), {})[row["month"]] = row
    labels = {"consumption": "消耗量", "ncv": "收到基低位发热量"}
    units = {("consumption", "烟煤"): "t", ("consumption", "天然气"): "万Nm³", ("ncv", "烟煤"): "GJ/t", ("ncv", "天然气"): "GJ/万Nm³"}
    first_of_group = {}
    for (g, f, item), months in series.items():
        top = first_of_group.get((g, f))
        if top is None:
            first_of_group[(g, f)] = r
            ws.cell(r, 1).value = g
            ws.cell(r, 2).value = f
        ws.cell(r, 3).value = labels[item]
        ws.cell(r, 4).value = units[(item, f)]
        total = 0
        for q in range(4):
            qs = 0
            for k in range(3):
                m = q * 3 + k + 1
                v = float(months[m]["value"])
                ws.cell(r, cols[m]).value = v
                qs += v
            ws.cell(r, cols["Q%d" % (q + 1)]).value = qs if item == "consumption" else "--"
            total += qs
        ws.cell(r, cols["year"]).value = total if item == "consumption" else "--"
        ws.cell(r, c + 1).value = months[1]["value_mode"]
        ws.cell(r, c + 2).value = months[1]["data_source"]
        ws.cell(r, c + 3).value = months[1]["evidence"]
        r += 1
    # The unit and fuel cells merged down their rows, as the exports do.
    for (g, f), top in first_of_group.items():
        n = sum(1 for (gg, ff, _) in series if (gg, ff) == (g, f))
        if n > 1:
            ws.merge_cells(start_row=top, start_column=1, end_row=top + n - 1, end_column=1)
            ws.merge_cells(start_row=top, start_column=2, end_row=top + n - 1, end_column=2)
    # Production in MW∙h.
    prod = wb["生产数据及排放量汇总表"]
    for row in prod.iter_rows():
        for cell_ in row:
            if cell_.value == "MWh":
                cell_.value = "MW∙h"
    buf = out("wps-quarter-subtotals.xlsx")
    wb.save(buf)
    normalise(buf)


def normalise(path):
    entries = read_zip(path)
    write_zip(path, entries)


def soffice_xls(src, dst):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", tmp, src], check=True, capture_output=True)
        produced = os.path.join(tmp, os.path.splitext(os.path.basename(src))[0] + ".xls")
        shutil.copy(produced, dst)


def cfb_root_clsid(data, clsid):
    """Sets the CLSID of the compound file's root directory entry."""
    data = bytearray(data)
    sector_shift = struct.unpack_from("<H", data, 30)[0]
    first_dir = struct.unpack_from("<I", data, 48)[0]
    offset = (first_dir + 1) << sector_shift
    assert data[offset : offset + 22].decode("utf-16-le").startswith("Root Entry"), "root entry"
    data[offset + 80 : offset + 96] = clsid
    return bytes(data)


def wps_xls():
    # WPS 表格's class id (ET), where Excel writes 00020820-0000-0000-C000-000000000046.
    wps_et = bytes.fromhex("8B3D5B09D3B2D0118F1E00A0C91A4D09")
    soffice_xls(PLANT, out("wps-xls-clsid.xls"))
    with open(out("wps-xls-clsid.xls"), "rb") as f:
        data = f.read()
    with open(out("wps-xls-clsid.xls"), "wb") as f:
        f.write(cfb_root_clsid(data, wps_et))


def wps_xls_dimensions():
    """The .xls with every DIMENSIONS record claiming one cell (A1), as some writers leave it."""
    soffice_xls(PLANT, out("wps-xls-dimensions-A1.xls"))
    with open(out("wps-xls-dimensions-A1.xls"), "rb") as f:
        data = bytearray(f.read())
    # DIMENSIONS (0x0200, length 14): first row, last row + 1 (u32), first col, last col + 1 (u16), reserved.
    n = 0
    i = 0
    while True:
        i = data.find(b"\x00\x02\x0e\x00", i)
        if i < 0:
            break
        struct.pack_into("<IIHHH", data, i + 4, 0, 1, 0, 1, 0)
        n += 1
        i += 18
    assert n >= 4, n
    with open(out("wps-xls-dimensions-A1.xls"), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- mistakes, refused with the cell


def refused():
    edit(PLANT, out("bad-text-in-month-cell.xlsx"), sheet_edits={C3: [cell("D8", "二十点九")]})
    edit(PLANT, out("bad-error-in-month-cell.xlsx"), sheet_edits={C3: [cell("E7", error="#DIV/0!")]})
    edit(PLANT, out("bad-unit.xlsx"), sheet_edits={C3: [cell("B8", "GJ/furlong")]})
    edit(PLANT, out("bad-fuel-decides-no-unit.xlsx"), sheet_edits={C3: [cell("A6", "燃料品种：生物质"), cell("B7", "t 或 10⁴Nm³")]})
    months = [cell("%s3" % col, "数值") for col in "CDEFGHIJKLMN"] + [cell("%s4" % col, "value") for col in "CDEFGHIJKLMN"]
    edit(PLANT, out("bad-no-month-header.xlsx"), sheet_edits={C3: months})
    edit(PLANT, out("bad-value-mode.xlsx"), sheet_edits={C3: [cell("P8", "实测")]})
    edit(PLANT, out("bad-value-mode-months.xlsx"), sheet_edits={C3: [cell("P8", "1-13月：实测值")]})
    edit(PLANT, out("bad-month-twice.xlsx"), sheet_edits={C3: [cell("E3", "2月")]})
    edit(PLANT, out("bad-unit-category-missing.xlsx"), sheet_edits={C2: [cell("B11", "")]})


def main():
    if not os.path.exists(PLANT):
        sys.exit("%s is missing: run `LVYUE_BLESS=1 cargo test -p lvyue --test all samples::` first" % PLANT)
    wps_dimension_a1()
    wps_dimension_missing()
    wps_backslash_paths()
    wps_document_properties()
    dcs_layout()
    if shutil.which("soffice"):
        wps_xls()
        wps_xls_dimensions()
    else:
        print("soffice not found: the .xls files are left as they are", file=sys.stderr)
    refused()


if __name__ == "__main__":
    main()
