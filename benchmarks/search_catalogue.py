"""A realistic catalogue of public-service procedures and queries as people type them.

The names follow the national catalogue's patterns (Cơ sở dữ liệu quốc gia về thủ tục hành
chính): a general procedure ("Đăng ký khai sinh") next to its special cases ("... có yếu tố
nước ngoài", "... lưu động", "... tại khu vực biên giới"), the same acts over many objects
("Cấp lại giấy phép ... do bị mất, hư hỏng"), and the same procedures in every province.
Nothing is random: the same size gives the same catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

#: field id -> (field name, agency suffix, general procedures of that field)
FIELDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ho-tich": (
        "Hộ tịch",
        "Sở Tư pháp",
        (
            "Đăng ký khai sinh",
            "Đăng ký khai tử",
            "Đăng ký kết hôn",
            "Đăng ký kết hôn có yếu tố nước ngoài",
            "Đăng ký khai sinh có yếu tố nước ngoài",
            "Cấp Giấy xác nhận tình trạng hôn nhân",
            "Đăng ký nhận cha, mẹ, con",
            "Đăng ký giám hộ",
            "Đăng ký chấm dứt giám hộ",
            "Thay đổi, cải chính, bổ sung thông tin hộ tịch",
            "Cấp bản sao trích lục hộ tịch",
            "Ghi vào Sổ hộ tịch việc ly hôn, hủy việc kết hôn đã được giải quyết tại cơ quan "
            "có thẩm quyền của nước ngoài",
            "Đăng ký lại khai sinh",
            "Đăng ký lại kết hôn",
        ),
    ),
    "nuoi-con-nuoi": (
        "Nuôi con nuôi",
        "Sở Tư pháp",
        ("Đăng ký nuôi con nuôi trong nước", "Đăng ký nuôi con nuôi thực tế"),
    ),
    "ly-lich-tu-phap": (
        "Lý lịch tư pháp",
        "Sở Tư pháp",
        (
            "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú "
            "tại Việt Nam",
            "Cấp Phiếu lý lịch tư pháp cho cơ quan tiến hành tố tụng",
        ),
    ),
    "chung-thuc": (
        "Chứng thực",
        "Sở Tư pháp",
        (
            "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm "
            "quyền của Việt Nam cấp",
            "Chứng thực chữ ký trong các giấy tờ, văn bản",
            "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản",
            "Chứng thực di chúc",
        ),
    ),
    "xuat-nhap-canh": (
        "Quản lý xuất nhập cảnh",
        "Công an tỉnh",
        (
            "Cấp hộ chiếu phổ thông ở trong nước",
            "Cấp lại hộ chiếu phổ thông",
            "Cấp thị thực cho người nước ngoài tại Việt Nam",
            "Cấp thẻ tạm trú cho người nước ngoài",
        ),
    ),
    "can-cuoc": (
        "Cấp, quản lý căn cước",
        "Công an tỉnh",
        (
            "Cấp thẻ Căn cước cho công dân từ đủ 14 tuổi trở lên",
            "Cấp đổi thẻ Căn cước",
            "Cấp lại thẻ Căn cước",
            "Cấp giấy chứng nhận căn cước",
            "Xác nhận số Chứng minh nhân dân, số Căn cước công dân",
            "Cấp tài khoản định danh điện tử mức độ 2",
        ),
    ),
    "cu-tru": (
        "Đăng ký, quản lý cư trú",
        "Công an tỉnh",
        (
            "Đăng ký thường trú",
            "Đăng ký tạm trú",
            "Xóa đăng ký thường trú",
            "Gia hạn tạm trú",
            "Khai báo tạm vắng",
            "Thông báo lưu trú",
            "Tách hộ",
            "Xác nhận thông tin về cư trú",
        ),
    ),
    "dat-dai": (
        "Đất đai",
        "Sở Tài nguyên và Môi trường",
        (
            "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất, "
            "quyền sở hữu tài sản gắn liền với đất lần đầu",
            "Cấp đổi Giấy chứng nhận quyền sử dụng đất",
            "Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất",
            "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
            "Chuyển nhượng quyền sử dụng đất",
            "Tách thửa hoặc hợp thửa đất",
            "Chuyển mục đích sử dụng đất",
            "Đính chính Giấy chứng nhận đã cấp",
        ),
    ),
    "xay-dung": (
        "Hoạt động xây dựng",
        "Sở Xây dựng",
        (
            "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
            "Cấp giấy phép xây dựng sửa chữa, cải tạo công trình",
            "Cấp giấy phép di dời công trình",
            "Điều chỉnh giấy phép xây dựng",
            "Gia hạn giấy phép xây dựng",
            "Cấp chứng chỉ hành nghề hoạt động xây dựng",
        ),
    ),
    "duong-bo": (
        "Đường bộ",
        "Sở Giao thông vận tải",
        (
            "Cấp đổi giấy phép lái xe do ngành Giao thông vận tải cấp",
            "Cấp lại giấy phép lái xe",
            "Cấp giấy phép lái xe quốc tế",
            "Đổi giấy phép lái xe do cơ quan có thẩm quyền của nước ngoài cấp",
            "Sát hạch, cấp giấy phép lái xe",
            "Đăng ký xe",
            "Cấp phù hiệu xe ô tô kinh doanh vận tải",
        ),
    ),
    "doanh-nghiep": (
        "Thành lập và hoạt động doanh nghiệp",
        "Sở Kế hoạch và Đầu tư",
        (
            "Đăng ký thành lập doanh nghiệp tư nhân",
            "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
            "Đăng ký thành lập công ty trách nhiệm hữu hạn hai thành viên trở lên",
            "Đăng ký thành lập công ty cổ phần",
            "Đăng ký thay đổi nội dung đăng ký doanh nghiệp",
            "Thông báo tạm ngừng kinh doanh",
            "Giải thể doanh nghiệp",
        ),
    ),
    "ho-kinh-doanh": (
        "Thành lập và hoạt động của hộ kinh doanh",
        "Ủy ban nhân dân huyện",
        (
            "Đăng ký thành lập hộ kinh doanh",
            "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
            "Tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn đã thông báo của hộ "
            "kinh doanh",
            "Chấm dứt hoạt động hộ kinh doanh",
        ),
    ),
    "thue": (
        "Thuế",
        "Cục Thuế",
        (
            "Đăng ký thuế lần đầu đối với người nộp thuế là hộ gia đình, cá nhân",
            "Cấp mã số thuế cá nhân",
            "Thay đổi thông tin đăng ký thuế",
            "Quyết toán thuế thu nhập cá nhân",
            "Hoàn thuế thu nhập cá nhân",
            "Đăng ký người phụ thuộc giảm trừ gia cảnh",
        ),
    ),
    "bao-hiem-xa-hoi": (
        "Bảo hiểm xã hội",
        "Bảo hiểm xã hội tỉnh",
        (
            "Giải quyết hưởng chế độ ốm đau",
            "Giải quyết hưởng chế độ thai sản",
            "Giải quyết hưởng lương hưu",
            "Cấp lại, đổi thẻ bảo hiểm y tế",
            "Giải quyết hưởng bảo hiểm xã hội một lần",
        ),
    ),
    "viec-lam": (
        "Việc làm",
        "Sở Lao động - Thương binh và Xã hội",
        (
            "Giải quyết hưởng trợ cấp thất nghiệp",
            "Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam",
            "Xác nhận người lao động nước ngoài không thuộc diện cấp giấy phép lao động",
        ),
    ),
    "bao-tro-xa-hoi": (
        "Bảo trợ xã hội",
        "Sở Lao động - Thương binh và Xã hội",
        (
            "Trợ cấp xã hội hàng tháng đối với đối tượng bảo trợ xã hội",
            "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật",
            "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm",
            "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
        ),
    ),
    "giao-duc": (
        "Giáo dục và Đào tạo",
        "Sở Giáo dục và Đào tạo",
        (
            "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
            "Chuyển trường đối với học sinh trung học cơ sở",
            "Chỉnh sửa nội dung văn bằng, chứng chỉ",
        ),
    ),
    "an-toan-thuc-pham": (
        "An toàn thực phẩm",
        "Sở Y tế",
        ("Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",),
    ),
    "van-hoa": (
        "Văn hóa",
        "Sở Văn hóa, Thể thao và Du lịch",
        ("Cấp giấy phép kinh doanh karaoke", "Cấp giấy phép tổ chức lễ hội"),
    ),
}

#: Special cases that sit next to a general procedure in the real catalogue.
SPECIAL_CASES = (
    "có yếu tố nước ngoài",
    "lưu động",
    "tại khu vực biên giới",
    "cho người đã có hồ sơ, giấy tờ cá nhân",
    "trong trường hợp bị mất, hư hỏng",
    "đối với tổ chức",
    "đối với cá nhân",
    "thực hiện tại cấp huyện",
    "thực hiện tại cấp xã",
    "liên thông với đăng ký thường trú, cấp thẻ bảo hiểm y tế",
)

#: Acts and objects of the many procedures nobody is looking for in these queries.
ACTS = ("Cấp", "Cấp lại", "Cấp đổi", "Gia hạn", "Điều chỉnh", "Thu hồi", "Cấp sửa đổi, bổ sung")
OBJECTS = (
    "giấy phép hoạt động đo lường",
    "chứng chỉ hành nghề dược",
    "giấy phép khai thác khoáng sản",
    "giấy phép sử dụng tần số vô tuyến điện",
    "giấy chứng nhận đủ điều kiện kinh doanh xăng dầu",
    "giấy phép xuất bản bản tin",
    "chứng chỉ hành nghề kiến trúc",
    "giấy phép thành lập quỹ xã hội, quỹ từ thiện",
    "giấy chứng nhận đăng ký hoạt động tôn giáo",
    "giấy chứng nhận xuất xứ hàng hóa",
    "giấy phép bán lẻ rượu",
    "giấy phép bán lẻ sản phẩm thuốc lá",
    "giấy phép hoạt động điện lực",
    "giấy phép khai thác tài nguyên nước",
    "giấy phép xả nước thải vào nguồn nước",
    "giấy phép hành nghề khoan nước dưới đất",
    "giấy chứng nhận đủ điều kiện chăn nuôi",
    "giấy chứng nhận cơ sở an toàn dịch bệnh động vật",
    "chứng chỉ hành nghề thú y",
    "giấy chứng nhận đăng ký hoạt động giáo dục nghề nghiệp",
    "giấy phép tổ chức biểu diễn nghệ thuật",
    "giấy phép thực hiện quảng cáo",
    "giấy phép hoạt động bến thủy nội địa",
    "giấy chứng nhận đăng ký phương tiện thủy nội địa",
    "giấy phép kinh doanh vận tải bằng xe ô tô",
    "giấy phép hoạt động khám bệnh, chữa bệnh",
    "chứng chỉ hành nghề khám bệnh, chữa bệnh",
    "giấy chứng nhận đủ điều kiện kinh doanh dịch vụ bảo vệ",
    "giấy phép kinh doanh dịch vụ lữ hành nội địa",
    "giấy phép thành lập văn phòng đại diện của thương nhân nước ngoài",
    "giấy chứng nhận đủ điều kiện hoạt động điểm cung cấp dịch vụ trò chơi điện tử",
    "giấy phép nhập khẩu xuất bản phẩm",
    "giấy phép hoạt động in",
    "giấy chứng nhận kiểm định an toàn kỹ thuật máy, thiết bị",
    "giấy phép cung cấp dịch vụ viễn thông",
    "giấy chứng nhận đăng ký đầu tư",
    "giấy phép hoạt động tàu cá",
    "chứng chỉ hành nghề luật sư",
    "giấy chứng nhận đăng ký hoạt động văn phòng công chứng",
    "giấy phép hoạt động của tổ chức giám định tư pháp",
    "giấy chứng nhận đủ điều kiện sản xuất phân bón",
    "giấy phép hoạt động dịch vụ việc làm",
    "giấy chứng nhận đủ điều kiện kinh doanh dịch vụ mua bán nợ",
    "giấy phép hoạt động thư viện",
)
QUALIFIERS = (
    "",
    "đối với tổ chức",
    "đối với cá nhân",
    "do bị mất, hư hỏng",
    "trường hợp thay đổi nội dung",
    "thuộc thẩm quyền cấp tỉnh",
    "thuộc thẩm quyền cấp huyện",
)
PROVINCES = (
    ("H34", "Kon Tum"),
    ("H29", "Hà Nội"),
    ("H56", "Khánh Hòa"),
    ("H48", "Đà Nẵng"),
    ("H79", "Hồ Chí Minh"),
    ("H62", "Lai Châu"),
)

#: (query as typed, names of the procedures a person means: any of them is a hit)
QUERIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dang ky khai sinh", ("Đăng ký khai sinh",)),
    ("đăng kí khai sinh", ("Đăng ký khai sinh",)),
    ("khai tử", ("Đăng ký khai tử",)),
    ("làm hộ chiếu", ("Cấp hộ chiếu phổ thông ở trong nước",)),
    ("kết hôn với người nước ngoài", ("Đăng ký kết hôn có yếu tố nước ngoài",)),
    ("lam cccd", ("Cấp thẻ Căn cước cho công dân từ đủ 14 tuổi trở lên",)),
    ("cấp lại cccd", ("Cấp lại thẻ Căn cước",)),
    ("gpxd nha o", ("Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",)),
    ("xin giấy phép xây nhà", ("Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",)),
    ("đổi bằng lái", ("Cấp đổi giấy phép lái xe do ngành Giao thông vận tải cấp",)),
    ("bang lai quoc te", ("Cấp giấy phép lái xe quốc tế",)),
    ("mất sổ đỏ", ("Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất",)),
    ("mst ca nhan", ("Cấp mã số thuế cá nhân",)),
    (
        "ly lich tu phap",
        (
            "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú "
            "tại Việt Nam",
        ),
    ),
    ("giấy xác nhận độc thân", ("Cấp Giấy xác nhận tình trạng hôn nhân",)),
    ("dang ky tam tru", ("Đăng ký tạm trú",)),
    ("nhập hộ khẩu", ("Đăng ký thường trú",)),
    (
        "thành lập công ty tnhh 1 thành viên",
        ("Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",),
    ),
    ("dang ky ho kinh doanh", ("Đăng ký thành lập hộ kinh doanh",)),
    ("hưởng bảo hiểm thất nghiệp", ("Giải quyết hưởng trợ cấp thất nghiệp",)),
    ("thai san", ("Giải quyết hưởng chế độ thai sản",)),
    ("rút bhxh 1 lần", ("Giải quyết hưởng bảo hiểm xã hội một lần",)),
    (
        "giay phep lao dong nguoi nuoc ngoai",
        ("Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam",),
    ),
    (
        "chứng thực bản sao",
        (
            "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm "
            "quyền của Việt Nam cấp",
        ),
    ),
    ("giấy phép karaoke", ("Cấp giấy phép kinh doanh karaoke",)),
    ("an toan thuc pham", ("Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",)),
    ("chuyen truong thcs", ("Chuyển trường đối với học sinh trung học cơ sở",)),
    ("ho ngheo", ("Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm",)),
    ("dang ky khai s", ("Đăng ký khai sinh",)),
    ("tach thua", ("Tách thửa hoặc hợp thửa đất",)),
    (
        "sang tên sổ đỏ",
        (
            "Chuyển nhượng quyền sử dụng đất",
            "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
        ),
    ),
    (
        "mất thẻ bhyt",
        (
            "Cấp lại, đổi thẻ bảo hiểm y tế",
            "Cấp lại, đổi thẻ bảo hiểm y tế trong trường hợp bị mất, hư hỏng",
        ),
    ),
    ("gia hạn tạm trú", ("Gia hạn tạm trú",)),
    ("cấp lại hộ chiếu", ("Cấp lại hộ chiếu phổ thông",)),
    ("quyet toan thue tncn", ("Quyết toán thuế thu nhập cá nhân",)),
)


def _names() -> Iterator[tuple[str, str]]:
    """(field id, name) of one province's procedures, general ones first."""
    for field_id, (_, _, generals) in FIELDS.items():
        for i, general in enumerate(generals):
            yield field_id, general
            # Three to six special cases per general procedure, as the real catalogue has.
            for special in SPECIAL_CASES[i % 4 : i % 4 + 3 + i % 4]:
                yield field_id, f"{general} {special}"
    for i, thing in enumerate(OBJECTS):
        field_id = list(FIELDS)[i % len(FIELDS)]
        for act in ACTS:
            for qualifier in QUALIFIERS:
                yield field_id, " ".join(x for x in (act, thing, qualifier) if x)


def catalogue(size: int) -> dict[str, list[dict[str, object]]]:
    """A catalogue file of ``size`` procedures: one province's, then the next's, ..."""
    one_province = list(_names())
    agencies: list[dict[str, object]] = []
    fields = [{"id": f, "name": name} for f, (name, _, _) in FIELDS.items()]
    procedures: list[dict[str, object]] = []
    suffixes = sorted({suffix for _, suffix, _ in FIELDS.values()})
    for p, (province, province_name) in enumerate(PROVINCES):
        root = f"000.00.00.{province}"
        agencies.append({"code": root, "name": f"Ủy ban nhân dân tỉnh {province_name}"})
        for a, suffix in enumerate(suffixes, start=1):
            agencies.append(
                {
                    "code": f"000.00.{a:02d}.{province}",
                    "name": f"{suffix} tỉnh {province_name}",
                    "parent": root,
                }
            )
        for field_id, name in one_province:
            if len(procedures) == size:
                break
            suffix = FIELDS[field_id][1]
            procedures.append(
                {
                    "code": f"{p + 1}.{len(procedures):06d}",
                    "name": name,
                    "agency": f"000.00.{suffixes.index(suffix) + 1:02d}.{province}",
                    "field": field_id,
                    "working_days": 5,
                    "components": [{"id": "don", "name": "Đơn đề nghị"}],
                }
            )
    return {"agencies": agencies, "fields": fields, "procedures": procedures}


def catalogue_json(size: int) -> str:
    return json.dumps(catalogue(size), ensure_ascii=False)


def one_province_size() -> int:
    return sum(1 for _ in _names())
