"""Words of sign-in, the account line, and the admins' audit page."""

VI: dict[str, str] = {
    "nav.audit": "Nhật ký truy cập",
    "auth.title": "Đăng nhập",
    "auth.username": "Tên đăng nhập",
    "auth.password": "Mật khẩu",
    "auth.submit": "Đăng nhập",
    "auth.help": "Tài khoản do quản trị viên cấp (lệnh `ioc users add`). Màn hình treo tường "
                 "dùng liên kết riêng, chỉ xem.",
    "auth.failed": "Sai tên đăng nhập hoặc mật khẩu.",
    "auth.throttled": "Đăng nhập sai quá nhiều lần với tài khoản này; thử lại sau khoảng "
                      "{min} phút.",
    "auth.no_users": "Chưa có tài khoản nào (tệp {path}). Quản trị viên tạo tài khoản bằng "
                     "lệnh ioc users add.",
    "auth.users_bad": "Tệp tài khoản không hợp lệ: {error}",
    "auth.kiosk_invalid": "Liên kết màn hình này không hợp lệ hoặc đã bị thu hồi. Liên hệ "
                          "quản trị viên để được cấp liên kết mới.",
    "auth.no_db": "Không mở được cơ sở dữ liệu: {error}",
    "auth.db_down": "Cơ sở dữ liệu không truy cập được (từ {since}, thử lại lần cuối lúc "
                    "{at}). Bạn vẫn đăng nhập: trang tự thử lại mỗi {s} giây và tự mở lại "
                    "khi cơ sở dữ liệu trả lời.",
    "auth.rate_limited": "Quá nhiều lần đăng nhập từ địa chỉ này; thử lại sau {s} giây.",
    "auth.forbidden": "Tài khoản của bạn không được mở trang này.",
    "auth.signed_in": "{name} · {role} · {scope}",
    "auth.signed_out": "Đã đăng xuất.",
    "auth.session_ended": "Phiên đăng nhập đã hết hạn hoặc đã bị kết thúc; mời đăng "
                          "nhập lại.",
    "auth.sign_out": "Đăng xuất",
    "auth.role.leader": "Lãnh đạo (chỉ xem)",
    "auth.role.ioc_staff": "Cán bộ IOC",
    "auth.role.tech": "Kỹ thuật",
    "auth.role.admin": "Quản trị",
    "auth.scope.national": "toàn quốc",
    "auth.scope.province": "tỉnh/thành phố mã {code}",
    "auth.scope.commune": "xã/phường mã {id}",
    "auth.oidc_button": "Đăng nhập bằng tài khoản của đơn vị",
    "auth.oidc_unavailable": "Chưa cấu hình được đăng nhập qua nhà cung cấp định danh "
                             "({error}); xem docs/security.md.",
    "auth.oidc_denied": "Tài khoản này chưa được cấp quyền xem bảng điều khiển. Liên hệ "
                        "quản trị viên.",
    "audit.title": "Nhật ký truy cập",
    "audit.caption": "Đăng nhập, xác nhận và tạm tắt cảnh báo, thay đổi tài khoản và liên kết "
                     "màn hình · {n} dòng mới nhất",
    "audit.none": "Chưa có sự kiện nào.",
    "audit.no_db": "Không đọc được nhật ký: {error}",
    "audit.filter": "Loại sự kiện",
    "audit.col.time": "Thời điểm",
    "audit.col.actor": "Người thực hiện",
    "audit.col.role": "Vai trò",
    "audit.col.action": "Sự kiện",
    "audit.col.ok": "Thành công",
    "audit.col.target": "Đối tượng",
    "audit.col.detail": "Chi tiết",
    "audit.kiosk.title": "Liên kết màn hình treo tường",
    "audit.kiosk.caption": "Tạo và thu hồi bằng lệnh ioc kiosk create|revoke; liên kết đã "
                           "thu hồi ngừng hoạt động ở lần làm mới kế tiếp.",
    "audit.kiosk.none": "Chưa có liên kết nào.",
    "audit.kiosk.col.id": "Mã",
    "audit.kiosk.col.label": "Màn hình",
    "audit.kiosk.col.scope": "Phạm vi",
    "audit.kiosk.col.created": "Tạo lúc",
    "audit.kiosk.col.by": "Người tạo",
    "audit.kiosk.col.revoked": "Thu hồi lúc",
    "audit.kiosk.revoke": "Thu hồi liên kết",
    "audit.kiosk.pick": "Liên kết",
    "audit.kiosk.revoked": "Đã thu hồi liên kết {id}.",
}

EN: dict[str, str] = {
    "nav.audit": "Access log",
    "auth.title": "Sign in",
    "auth.username": "User name",
    "auth.password": "Password",
    "auth.submit": "Sign in",
    "auth.help": "Accounts are issued by an administrator (`ioc users add`). Wall displays "
                 "use their own read-only link.",
    "auth.failed": "Wrong user name or password.",
    "auth.throttled": "Too many failed sign-ins for this account; try again in about "
                      "{min} min.",
    "auth.no_users": "No accounts yet (file {path}). An administrator creates them with "
                     "ioc users add.",
    "auth.users_bad": "The accounts file is not valid: {error}",
    "auth.kiosk_invalid": "This display link is not valid or was revoked. Ask an "
                          "administrator for a new one.",
    "auth.no_db": "Cannot open the database: {error}",
    "auth.db_down": "Database unreachable (since {since}, last tried at {at}). You are "
                    "still signed in: this page retries every {s} s and reopens by itself "
                    "when the database answers.",
    "auth.rate_limited": "Too many sign-in attempts from this address; try again in {s} s.",
    "auth.forbidden": "Your account may not open this page.",
    "auth.signed_in": "{name} · {role} · {scope}",
    "auth.signed_out": "Signed out.",
    "auth.session_ended": "Your sign-in session expired or was ended; please sign "
                          "in again.",
    "auth.sign_out": "Sign out",
    "auth.role.leader": "Leader (read-only)",
    "auth.role.ioc_staff": "IOC staff",
    "auth.role.tech": "Tech team",
    "auth.role.admin": "Administrator",
    "auth.scope.national": "whole country",
    "auth.scope.province": "province code {code}",
    "auth.scope.commune": "commune code {id}",
    "auth.oidc_button": "Sign in with your organisation's account",
    "auth.oidc_unavailable": "Sign-in through the identity provider is not set up "
                             "({error}); see docs/security.md.",
    "auth.oidc_denied": "This account has not been granted access to the dashboard. Ask an "
                        "administrator.",
    "audit.title": "Access log",
    "audit.caption": "Sign-ins, alert acknowledgements and silences, account and display-link "
                     "changes · newest {n} rows",
    "audit.none": "Nothing recorded yet.",
    "audit.no_db": "Cannot read the log: {error}",
    "audit.filter": "Event",
    "audit.col.time": "Time",
    "audit.col.actor": "By",
    "audit.col.role": "Role",
    "audit.col.action": "Event",
    "audit.col.ok": "Succeeded",
    "audit.col.target": "Target",
    "audit.col.detail": "Detail",
    "audit.kiosk.title": "Wall display links",
    "audit.kiosk.caption": "Created and revoked with ioc kiosk create|revoke; a revoked link "
                           "stops at the display's next refresh.",
    "audit.kiosk.none": "No links yet.",
    "audit.kiosk.col.id": "Id",
    "audit.kiosk.col.label": "Display",
    "audit.kiosk.col.scope": "Scope",
    "audit.kiosk.col.created": "Created",
    "audit.kiosk.col.by": "Created by",
    "audit.kiosk.col.revoked": "Revoked",
    "audit.kiosk.revoke": "Revoke link",
    "audit.kiosk.pick": "Link",
    "audit.kiosk.revoked": "Link {id} revoked.",
}
