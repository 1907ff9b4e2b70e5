"""Messages about input problems, as codes with Chinese and English templates (part of :data:`tourplan.messages.MESSAGES`).

A cell of ``pois.csv`` or ``edges.csv`` that does not hold what it must, a
file that cannot be read, a field of a site edit or of an API request that
the schema refuses: what the checks say, in both languages. Kept apart from
the visitor's and the staff's plan messages in :mod:`tourplan.messages`,
which adds these to its table; the same ``str.format`` templates and
parameters.
"""

from __future__ import annotations

__all__ = ["INPUT_MESSAGES"]

#: Each input problem's code -> (Chinese, English) templates.
INPUT_MESSAGES: dict[str, tuple[str, str]] = {
    # web/schema_text.py: the API schema's own checks (webargs/marshmallow), before a request reaches the core
    "field_problem": ("{field}：{text}", "{field}: {text}"),
    "field_required": ("缺少这个必填字段。", "Missing data for required field."),
    "field_null": ("不能为 null。", "Field may not be null."),
    "field_unknown": ("没有这个字段。", "Unknown field."),
    "field_type": ("不是有效的{kind}。", "Not a valid {kind}."),
    "field_range": ("应在 {min} 到 {max} 之间。", "Must be from {min} to {max}."),
    "field_at_least": ("应不小于 {value}。", "Must be at least {value}."),
    "field_above": ("应大于 {value}。", "Must be greater than {value}."),
    "field_at_most": ("应不大于 {value}。", "Must be at most {value}."),
    "field_below": ("应小于 {value}。", "Must be less than {value}."),
    "field_one_of": ("应为以下之一：{choices}。", "Must be one of: {choices}."),
    "field_min_length": ("长度至少为 {min}。", "Shorter than minimum length {min}."),
    "field_max_length": ("长度最多为 {max}。", "Longer than maximum length {max}."),
    "field_length": ("长度应在 {min} 到 {max} 之间。", "Length must be between {min} and {max}."),
    "field_hhmm": ("应为 HH:MM 格式的时间。", "expected a time HH:MM"),
    "field_too_large": ("数值太大。", "Number too large."),
    "field_not_finite": ("不能是 nan 或无穷大。", "Special numeric values (nan or infinity) are not permitted."),
    "field_invalid": ("值无效。", "Invalid value."),
    "field_json_body": ("请求体不是有效的 JSON。", "Invalid JSON body."),
    # errors.Issue and DataValidationError: where a problem of a data file is, what was read and expected
    "issue_row": ("，第 {row} 行", ", row {row}"),
    "issue_column": ("，列 {column}", ", column {column}"),
    "issue_got": ("：值为 {value}", ": got {value}"),
    "issue_expected": ("；应为：{expected}", "; expected {expected}"),
    "data_problem": ("{what}中有 1 个问题：{problems}", "1 problem in {what}: {problems}"),
    "data_problems": ("{what}中有 {n} 个问题：{problems}", "{n} problems in {what}: {problems}"),
    "data_problems_more": (
        "{what}中有 {n} 个问题：{problems}（另有 {more} 个）",
        "{n} problems in {what}: {problems} (and {more} more)",
    ),
    "data_in_site_data": ("景点数据", "site data"),
    "data_in_import": ("导入的文件", "import"),
    # _rowcheck.py, sitecheck.py: what a cell of pois.csv or edges.csv must hold (a noun phrase after 应为/expected)
    "data_nonempty": ("非空的值", "a non-empty value"),
    "data_max_chars": ("不超过 {n} 个字符", "at most {n} characters"),
    "data_number": ("一个数字", "a number"),
    "data_finite": ("一个有限的数字", "a finite number"),
    "data_whole": ("一个整数", "a whole number"),
    "data_number_range": ("{lo} 到 {hi} 之间的数字", "a number from {lo} to {hi}"),
    "data_number_min": ("不小于 {lo} 的数字", "a number of at least {lo}"),
    "data_number_max": ("不大于 {hi} 的数字", "a number of at most {hi}"),
    "data_degrees": ("{lo} 到 {hi} 之间的数字（WGS-84 度）", "a number from {lo} to {hi} (WGS-84 degrees)"),
    "data_bool": ("true 或 false", "true or false"),
    "data_keys": (
        "用“;”分隔的代码，取自 {vocab}（未知：{unknown}）",
        "';'-separated keys from: {vocab} (unknown: {unknown})",
    ),
    "data_one_of": ("{choices} 之一", "one of {choices}"),
    "data_id_chars": ("小写字母、数字、“_”或“-”（最多 80 个）", "lower-case letters, digits, '_' or '-' (at most 80)"),
    "data_name_needed": ("在 name_zh 或 name_en 中填写名称", "a name in name_zh or name_en"),
    "data_latlon_swapped": (
        "纬度；lat 与 lon 似乎填反了（{lat}, {lon}）",
        "a latitude; lat and lon look swapped ({lat}, {lon})",
    ),
    "data_point_in_region": (
        "{region}范围内的 WGS-84 坐标（纬度 {south}–{north}，经度 {west}–{east}）",
        "a WGS-84 point within {region} (lat {south}-{north}, lon {west}-{east})",
    ),
    "data_hours": (
        "OpenStreetMap 格式的 opening_hours 值，例如 'Tu-Su 09:00-17:00'",
        "an OpenStreetMap opening_hours value, e.g. 'Tu-Su 09:00-17:00'",
    ),
    "data_capacity_daily": (
        "不小于 capacity_instant（{c0}）的整数（日承载量 = 瞬时承载量 × 周转次数）",
        "at least capacity_instant ({c0}): daily = instantaneous x turnovers",
    ),
    "data_confidence": ("high、medium 或 low", "high, medium or low"),
    "data_parent_self": ("另一行的 id，不能是本行自己的 id", "another row's id, not the row's own"),
    "data_parent_unknown": ("另一行的 id（没有哪一行是这个 id）", "the id of another row"),
    "data_activity_legacy": (
        "与 activity_en 相同的文字，或留空（activity 是 activity_en 的旧列名）",
        "the same text as activity_en, or an empty cell (activity is the old name of activity_en)",
    ),
    "data_activity_zh": ("中文（英文短语填在 activity_en 中）", "Chinese text (the English phrase goes in activity_en)"),
    "data_concession_no_rule": (
        "空单元格，除非 ticket_rule 为 site_specific",
        "an empty cell unless ticket_rule is site_specific",
    ),
    "data_ticket_source": (
        "票价规则 {rule} 的出处（公告或网页；没有该景点专门的出处时填 'assumed'）",
        "the source of ticket rule {rule} (a notice or page; say 'assumed' where no site-specific source exists)",
    ),
    "data_rule_for_free": (
        "免费景点适用的规则（free、free_public_museum_2008 或 area_ticket），因为规则 {rule} 要求 ticket_cny 大于 0",
        "a rule for a free site (free, free_public_museum_2008 or area_ticket): {rule} needs a ticket_cny above 0",
    ),
    "data_rule_for_priced": (
        "收费景点适用的规则（{rules}），因为 ticket_cny 为 {price}，不是 0",
        "a rule for a priced site ({rules}): ticket_cny is {price}, not 0",
    ),
    "data_area_ticket_parent": (
        "填写 parent_id（area_ticket 表示凭所属景区的门票入内，须指明该景区）",
        "a parent_id for area_ticket (the area whose ticket admits)",
    ),
    "data_site_specific_price": (
        "有出处的学生票或儿童票价格（ticket_student_cny 或 ticket_child_cny），ticket_rule 为 site_specific 时必填",
        "a sourced student or child price (ticket_student_cny or ticket_child_cny) for ticket_rule site_specific",
    ),
    "data_at_most_adult": ("不高于成人票价 ticket_cny（{price}）", "at most the adult ticket_cny ({price})"),
    "data_concession_by_rule": (
        "空单元格，因为规则 {rule} 已规定此价格（只有 site_specific 才填写）",
        "an empty cell: rule {rule} sets this price (give it only with site_specific)",
    ),
    "data_alias_len": ("每个名称不超过 {n} 个字符", "names of at most {n} characters"),
    "data_alias_blank": ("含有字母或汉字的名称", "a name with letters or characters in it"),
    "data_alias_count": ("不超过 {n} 个别名", "at most {n} aliases"),
    "data_site_id": ("景点表中某个景点的 id", "the id of a site in the site table"),
    "data_other_than_from": ("与 from_id 不同的景点", "a site other than from_id"),
    "data_minutes_needed": ("填写 minutes（distance_km 为 0 时必填）", "minutes when distance_km is 0"),
    "data_duplicate_id": ("唯一的 id（第 {row} 行已使用）", "a unique id (row {row} has it already)"),
    "data_no_rows": ("至少一行数据", "at least one data row"),
    "data_area_parent_free": (
        "free 或其他规则，因为所属景区 {parent}（第 {row} 行）不售门票（ticket_cny 为 0）",
        "free or another rule: the parent {parent} (row {row}) sells no ticket (ticket_cny 0)",
    ),
    "data_alias_taken": (
        "其他行都没有用过的名称（第 {row} 行（{other}）已使用）",
        "a name no other row uses (row {row} ({other}) has it)",
    ),
    "data_gcj02": (
        "{file}，第 {row} 行（{id}）：坐标 {point} 与 {ref} 在 GCJ-02 地图上的位置相距不到 60 米；"
        "它很可能是从国内街道地图（GCJ-02）上读取的，而不是 WGS-84 坐标",
        "{file}, row {row} ({id}): point {point} lies within 60 m of where {ref} appears on a GCJ-02 map; "
        "it was probably read off a Chinese street map (GCJ-02), not WGS-84",
    ),
    # data.py, poi_import.py, osm.py: the file as a whole
    "data_readable": ("可以读取的文件（{error}）", "a readable file ({error})"),
    "data_utf8": ("UTF-8 编码的文本（请把文件另存为“CSV UTF-8”）", "UTF-8 text (save the file as CSV UTF-8)"),
    "data_utf8_plain": ("UTF-8 编码的文本", "UTF-8 text"),
    "data_value_byte": ("偏移 {offset} 处的字节 {byte}", "byte {byte} at offset {offset}"),
    "data_csv_header": ("带表头行的 CSV 文件", "a CSV file with a header row"),
    "data_max_columns": ("不超过 {n} 列", "at most {n} columns"),
    "data_value_columns": ("{n} 列", "{n} columns"),
    "data_max_rows": ("不超过 {n} 行", "at most {n} rows"),
    "data_value_lines": ("{n} 行", "{n} lines"),
    "data_missing_column": ("表头中有这一列（现在缺少）", "this column in the header"),
    "data_column_once": ("每列只出现一次", "each column once"),
    "data_fields": (
        "与表头相同的 {n} 个字段（第 {line} 行；含逗号的值请加引号）",
        "{n} fields as in the header (line {line}; quote values with commas)",
    ),
    "data_value_fields": ("{n} 个字段", "{n} fields"),
    "data_csv": ("格式正确的 CSV（{error}）", "well-formed CSV ({error})"),
    "data_json": ("有效的 JSON（{error}）", "valid JSON ({error})"),
    "data_osm_file": ("OSM 的 XML 或 PBF 文件（{error}）", "an OSM XML or PBF file ({error})"),
    "data_poi_list": ("“pois”或“results”列表", "a 'pois' or 'results' list"),
    "data_poi_object": ("含名称和位置的对象", "an object with a name and a location"),
    "data_poi_name": ("一个名称", "a name"),
    "data_poi_location": ("以度为单位的经度和纬度", "a longitude and a latitude in degrees"),
    "data_ticked_row": ("至少勾选一行", "at least one ticked row"),
    # sitestore.py, web/sites_api.py: a field of a site edit
    "edit_expected": ("应为：{expected}", "expected {expected}"),
    "edit_expected_got": ("应为：{expected}，实际为 {value}", "expected {expected}, got {value}"),
    "edit_problems": ("{problems}", "{problems}"),
    "edit_source": (
        "新数据的出处（网址、地图及日期、实地调查……）",
        "where the new values come from (a URL, a map and date, a survey...)",
    ),
    "edit_cell": ("文字、数字、true/false 或文字列表", "text, a number, true/false or a list of text"),
    "edit_text": ("文字", "text"),
    "edit_zoom": ("0 到 22 之间的数字", "a number from 0 to 22"),
    "edit_some_change": ("至少一个字段的值有变化", "at least one field whose value changes"),
    "edit_id_fixed": ("景点的 id 不能更改", "the id of a site cannot change"),
    "edit_meta_field": (
        "请填写本次修改的出处和可信度，而不是新的列值",
        "give the change's source and confidence, not a new column value",
    ),
    "edit_unknown_field": ("未知字段（不是景点表的列）", "unknown field (not a column of the site table)"),
    "edit_revert_exists": ("景点 {site} 又存在了，请直接编辑它", "site {site} exists again; edit it instead"),
    "edit_revert_gone": ("景点 {site} 已不存在", "site {site} no longer exists"),
    "edit_revert_parent": ("景点 {sites} 以它为所属景区", "sites {sites} name it as parent"),
    "edit_revert_same": ("该景点的值已经与那次修改之前相同", "the site already has the values of before that change"),
    "edit_stale": (
        "景点 {site} 现在是第 {version} 版，不是第 {expected} 版：在此期间{who}修改了{fields}",
        "site {site} is at version {version}, not {expected}: {who} changed {fields} meanwhile",
    ),
    "edit_someone": ("有人", "someone"),
    "edit_it": ("它", "it"),
    "edit_both_latlon": ("坐标系为 {datum} 时须同时给出 lat 和 lon", "both lat and lon when the datum is {datum}"),
    # web/errors.py: an HTTP error's name and, where the view gave no reason, what it means
    "http_400": ("请求有误", "Bad request"),
    "http_400_text": ("请求中有无法处理的内容。", "The request could not be understood."),
    "http_401": ("需要登录", "Login required"),
    "http_401_text": ("请先登录。", "Please log in first."),
    "http_403": ("禁止访问", "Forbidden"),
    "http_403_text": ("您无权访问此页面。", "You may not open this page."),
    "http_404": ("未找到", "Not found"),
    "http_404_text": ("没有与此网址对应的页面，请检查网址是否完整。", "There is no page at this address; please check that it is complete."),
    "http_405": ("不支持此请求方法", "Method not allowed"),
    "http_405_text": ("此网址不接受这种请求方法。", "This address does not accept this request method."),
    "http_413": ("内容过大", "Content too large"),
    "http_413_text": ("发送的内容超过了允许的大小。", "What was sent is larger than allowed."),
    "http_429": ("请求过于频繁", "Too many requests"),
    "http_429_text": ("请求过于频繁，请稍后再试。", "Too many requests; please try again later."),
    "http_500": ("服务器内部错误", "Internal server error"),
    "http_500_text": ("服务器出了问题，已记录在日志中。", "Something went wrong on the server; it has been logged."),
    "http_501": ("不支持", "Not implemented"),
    "http_501_text": ("服务器不支持这项请求。", "The server does not support this request."),
    "http_503": ("暂不可用", "Service unavailable"),
    "http_503_text": ("服务暂时不可用，请稍后再试。", "The service is unavailable for now; please try again later."),
    # web/embed.py: the embed pages' and oEmbed's query parameters (the field is named by field_problem)
    "embed_size": ("应为像素数（如 480）或百分比，收到 '{value}'。", "Expected pixels (e.g. 480) or a percentage, got '{value}'."),
    "embed_percent": ("应在 10% 到 100% 之间，收到 '{value}'。", "Expected 10% to 100%, got '{value}'."),
    "embed_pixels": ("应在 {min} 到 {max} 像素之间，收到 '{value}'。", "Expected {min} to {max} pixels, got '{value}'."),
    "embed_lang": ("应为 zh 或 en，收到 '{value}'。", "Expected zh or en, got '{value}'."),
    "embed_tiles": ("应为以下之一：{choices}，收到 '{value}'。", "Expected one of {choices}, got '{value}'."),
    "embed_tianditu_key": ("天地图底图需要天地图密钥，本服务器没有配置。", "Tianditu tiles need a Tianditu key, which this server has not configured."),
    "oembed_format": ("只支持 json，收到 '{value}'。", "Only json is supported, got '{value}'."),
    "oembed_not_embeddable": ("不是可以嵌入的 tourplan 页面：'{value}'。", "Not a tourplan page that can be embedded: '{value}'."),
    "oembed_no_itinerary": ("没有这个行程：'{value}'。", "There is no such itinerary: '{value}'."),
    "oembed_no_showcase": ("没有这个主题的路线：'{value}'。", "There is no route for this theme: '{value}'."),
    "oembed_no_run": ("没有已发布的客流模拟：'{value}'（未知、未完成或未发布）。", "No published visitor-flow run: '{value}' (unknown, unfinished or unpublished)."),
}  # fmt: skip
