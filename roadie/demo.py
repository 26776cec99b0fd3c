"""Demo data: a live-streaming source-code vendor's desk, six customers and 200 tickets.

`load_demo()` goes through the services only, so the tickets carry real events, first responses
and status history. It is idempotent: everything is keyed on slugs and e-mails, and the tickets
are generated only when none of the demo organizations has any.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction

from roadie.accounts.models import Role, User
from roadie.accounts.services import user_create
from roadie.core import clock
from roadie.customers.models import Deployment, Module, Organization, Product
from roadie.customers.services import (
    contract_create,
    deployment_create,
    module_create,
    organization_create,
    product_create,
)
from roadie.notifications.models import OutboxMessage
from roadie.oncall.models import EscalationPolicy, Schedule
from roadie.oncall.services import StepInput, policy_create, rotation_create, schedule_create
from roadie.tickets import services
from roadie.tickets.models import Kind, Severity, Status, Ticket

PASSWORD = "roadie-demo"
SEED = 2026
HISTORY_DAYS = 60

PRODUCT = ("livestream-pro", "直播系统 LiveStream Pro")
MODULES = [  # slug, name, core
    ("streaming", "推流/拉流 Streaming", True),
    ("co-hosting", "连麦 Co-hosting", True),
    ("im", "IM/聊天 Chat", True),
    ("gifts-payments", "礼物与支付 Gifts & payments", True),
    ("beauty", "美颜 Beauty filters", False),
    ("recording-vod", "录制/点播 Recording & VOD", False),
    ("cdn-storage", "CDN 与存储 CDN & storage", False),
    ("admin", "管理后台 Admin backend", False),
    ("apps", "App 客户端 Apps", False),
]

STAFF = [  # e-mail, name, role
    ("admin@roadie.demo", "陈静 Chen Jing", Role.ADMIN),
    ("manager@roadie.demo", "周强 Zhou Qiang", Role.MANAGER),
    ("agent@roadie.demo", "王芳 Wang Fang", Role.AGENT),
    ("agent2@roadie.demo", "Emma Lin", Role.AGENT),
    ("engineer@roadie.demo", "赵磊 Zhao Lei", Role.ENGINEER),
    ("engineer2@roadie.demo", "孙悦 Sun Yue", Role.ENGINEER),
]


@dataclass(frozen=True)
class OrgSpec:
    slug: str
    name: str
    domain: str
    tier: str
    time_zone: str
    language: str  # the language its people write in: "zh", "en" or "mixed"
    deployments: tuple[tuple[str, str, str], ...]  # environment, version, name
    admin: tuple[str, str]  # e-mail local part, name
    member: tuple[str, str]
    tickets: int


ORGS = [
    OrgSpec(
        "galaxy-live", "星河直播 Galaxy Live", "galaxy-live.demo", "premium", "Asia/Shanghai",
        "zh",
        (("production", "3.4.0", "主站 Main site"), ("staging", "4.0.0-rc.1", "预发布 Staging")),
        ("zhang.wei", "张伟 Zhang Wei"), ("liu.yang", "刘洋 Liu Yang"), 50,
    ),
    OrgSpec(
        "hummingbird", "蜂鸟互娱 Hummingbird Entertainment", "hummingbird.demo", "standard",
        "Asia/Shanghai", "zh", (("production", "3.2.1", "线上 Production"),),
        ("li.na", "李娜 Li Na"), ("wang.hao", "王浩 Wang Hao"), 30,
    ),
    OrgSpec(
        "acme-streaming", "Acme Streaming Ltd.", "acme-streaming.demo", "premium", "Europe/Berlin",
        "en",
        (("production", "3.4.0", "EU production"), ("staging", "4.0.0-rc.1", "Staging")),
        ("jonas.weber", "Jonas Weber"), ("sarah.klein", "Sarah Klein"), 35,
    ),
    OrgSpec(
        "yunfan-tech", "云帆科技 Yunfan Tech", "yunfan-tech.demo", "standard", "Asia/Shanghai",
        "zh",
        (
            ("production", "3.3.2", "生产 Production"),
            ("staging", "3.4.0", "测试服 Staging"),
            ("production", "3.2.1", "海外站 Overseas"),
        ),
        ("chen.gang", "陈刚 Chen Gang"), ("huang.li", "黄丽 Huang Li"), 35,
    ),
    OrgSpec(
        "aurora-media", "北极光传媒 Aurora Media", "aurora-media.demo", "premium", "Asia/Shanghai",
        "zh", (("production", "3.4.1", "线上 Production"),),
        ("zhou.min", "周敏 Zhou Min"), ("xu.tao", "徐涛 Xu Tao"), 30,
    ),
    OrgSpec(
        "merlion-interactive", "狮城互动 Merlion Interactive", "merlion.demo", "standard",
        "Asia/Singapore", "mixed",
        (("production", "3.2.1", "SG production"), ("staging", "3.4.0", "SG staging")),
        ("tan.weiming", "陈伟明 Tan Wei Ming"), ("priya.nair", "Priya Nair"), 20,
    ),
]  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    module: str
    kind: str
    severity: str
    title: str
    description: str
    ask: str  # staff asks for what they need
    answer: str  # the customer's answer
    note: str  # an internal note between staff
    fix: str  # the reply that resolves it


INC, DEF, CHG, QST, SEC = (
    Kind.INCIDENT,
    Kind.DEFECT,
    Kind.CHANGE_REQUEST,
    Kind.QUESTION,
    Kind.SECURITY,
)
URGENT, IMPORTANT, GENERAL = Severity.URGENT, Severity.IMPORTANT, Severity.GENERAL

# fmt: off
ZH = [
    Scenario(
        "streaming", INC, URGENT,
        "推流中断：主播推流约 10 分钟后自动断开",
        "今晚 20:00 高峰开始，多个主播反馈 OBS 推流约 10 分钟后断开，OBS 日志显示 "
        "`Socket closed by remote`。重连后能恢复几分钟，影响约 300 个直播间。",
        "收到，我们已经在排查。请提供推流服务器的错误日志和出问题的流名称，另外确认一下最近"
        "是否调整过推流鉴权的过期时间？",
        "日志已上传，流名称 live/room_8823。上周我们把 `auth_expire` 改成了 600 秒。",
        "已复现：鉴权 URL 600s 过期，断线重推时 on_publish 回调校验失败。3.4.1 有自动续期。",
        "原因是推流鉴权链接有效期只有 600 秒，断线重连时鉴权失败。请把 `auth_expire` 调回 "
        "86400 秒；3.4.1 已加入鉴权自动续期，建议升级。",
    ),
    Scenario(
        "co-hosting", DEF, IMPORTANT,
        "连麦延迟高，PK 时双方画面对不上",
        "两个主播连麦 PK 时延迟有 2–3 秒，观众看到的比分和画面不同步。单人直播延迟正常。",
        "请问连麦双方分别在哪个地区？麻烦提供一次连麦的 roomId 和时间点，我们查一下 RTC 节点调度。",
        "主播 A 在广州，主播 B 在哈尔滨，roomId 50213，昨晚 21:40 左右。",
        "RTC 调度把两端都分到了华南节点，北方用户绕路。需开启就近接入 `rtc.region=auto`。",
        "延迟来自 RTC 节点调度：两端被分配到同一个华南节点。请在配置中开启 `rtc.region=auto` "
        "就近接入，我们测试后延迟降到 400ms 左右。",
    ),
    Scenario(
        "gifts-payments", DEF, IMPORTANT,
        "礼物特效不显示：安卓端大额礼物 SVGA 动画不播放",
        "用户送出「嘉年华」「火箭」等大额礼物后，安卓端不显示特效，iOS 正常。小礼物没问题。",
        "请问出问题的安卓机型和系统版本？礼物特效资源是放在自己的 OSS 上吗？",
        "小米 13 / Android 14、OPPO Reno 8 都有。特效资源在我们自己的 OSS，走 CDN。",
        "SVGA 文件 > 5MB 时安卓端下载超时被静默丢弃，超时只有 3 秒。需要调大并加重试。",
        "原因是大额礼物的 SVGA 文件超过 5MB，安卓端 3 秒下载超时后直接放弃播放。已在 3.4.1 "
        "把超时调到 15 秒并加入预加载，补丁包已发到您的邮箱。",
    ),
    Scenario(
        "beauty", DEF, IMPORTANT,
        "iOS 美颜闪退：iOS 17 开启美颜后进入直播间崩溃",
        "iOS 17.4 的 iPhone 上开播时打开美颜，进入直播间 1–2 秒后闪退，关闭美颜正常。",
        "麻烦导出一份崩溃日志（设置 → 隐私 → 分析与改进 → 分析数据），并告诉我们美颜 SDK 版本。",
        "崩溃日志已上传，美颜 SDK 是 2.8.3。",
        "崩溃在 GPUImage 滤镜链，Metal 纹理在 iOS 17 上格式不兼容；SDK 2.9.0 已修复。",
        "崩溃是美颜 SDK 2.8.3 与 iOS 17 的 Metal 纹理格式不兼容导致，请升级到 SDK 2.9.0，"
        "升级说明已更新在文档「美颜 SDK 升级」一节。",
    ),
    Scenario(
        "cdn-storage", INC, IMPORTANT,
        "CDN 回源带宽异常，源站出口流量暴涨",
        "从周一开始源站出口带宽从 200Mbps 涨到 1.5Gbps，CDN 命中率从 95% 降到 40%，费用增加很多。",
        "请确认最近是否修改过 CDN 缓存规则或播放地址的参数？能否提供一段 CDN 访问日志？",
        "上周上线了防盗链，播放地址里加了 `t=` 时间戳参数。日志已上传。",
        "防盗链参数进入了缓存 key，每个请求都回源。CDN 需要配置忽略 t/sign 参数。",
        "原因是防盗链的 `t`、`sign` 参数被计入了 CDN 缓存 key，导致每次都回源。请在 CDN "
        "控制台开启「过滤参数」，忽略这两个参数；我们也更新了部署文档。",
    ),
    Scenario(
        "gifts-payments", INC, URGENT,
        "支付回调失败，用户充值后钻石不到账",
        "今天上午 10 点起微信支付回调全部失败，用户已经付款但钻石没有到账，客服压力很大。",
        "请提供支付回调接口的日志和一个失败订单号，另外确认是否更换过商户证书？",
        "订单号 P20240611008812，昨晚运维续签了 HTTPS 证书，其他没动。",
        "回调地址证书链不完整，微信端校验失败；补全中间证书即可。掉单需走补单脚本。",
        "原因是新证书缺少中间证书，微信支付回调 TLS 握手失败。补全证书链后回调已恢复；掉单请"
        "执行 `php artisan pay:reconcile --since=today` 补单，已在测试环境验证。",
    ),
    Scenario(
        "im", DEF, IMPORTANT,
        "直播间弹幕丢失，高并发时消息延迟超过 10 秒",
        "万人直播间里弹幕大量丢失，部分用户看到的消息延迟 10 秒以上。小房间正常。",
        "请提供 IM 服务的节点数和 Redis 配置，以及高峰时的在线人数？",
        "IM 2 个节点，Redis 单实例 4G，高峰在线 1.2 万。",
        "单 Redis 实例 pub/sub 打满。建议开启消息合并 + 限频，或改集群。",
        "瓶颈在单个 Redis 实例的 pub/sub。我们建议：1）开启弹幕合并下发（`im.batch_ms=200`）;"
        "2）直播间按热度限频；3）超过 5000 人的房间使用 Redis 集群。调整后丢消息已消失。",
    ),
    Scenario(
        "recording-vod", DEF, GENERAL,
        "录制文件缺失最后几分钟",
        "直播结束后生成的录制文件总是少了最后 2–5 分钟。",
        "请问录制是用云端录制还是服务器本地 DVR？主播是正常关播还是直接断网？",
        "本地 DVR，主播一般直接点关播。",
        "DVR 分片在关播后没有 flush，最后一个分片被丢弃。",
        "关播时最后一个 DVR 分片没有写完就被清理了。请将 `dvr_wait_keyframe` 设为 off 并升级"
        "录制服务到 3.4.1，关播后会等待分片落盘。",
    ),
    Scenario(
        "admin", DEF, GENERAL,
        "管理后台首页加载超过 30 秒",
        "管理后台登录后首页仪表盘要转 30 多秒才出来，其他页面正常。",
        "请问订单表和用户表大概有多少数据？能否提供慢查询日志？",
        "订单表 2000 万行，用户 300 万。慢查询日志已附上。",
        "首页统计对 orders 全表 COUNT，缺 (created_at, status) 索引。",
        "首页统计每次都对订单表全表计数。3.4.1 已改为按日汇总表，并新增 (created_at, status) "
        "索引；也可以先执行附带的 SQL 手动加索引。",
    ),
    Scenario(
        "streaming", INC, GENERAL,
        "海外用户拉流卡顿严重",
        "东南亚的观众反馈看直播经常卡顿转圈，国内观众正常。",
        "请问海外用户走的是哪家 CDN？播放协议是 FLV 还是 HLS？",
        "海外也走国内 CDN，用的 FLV。",
        "海外没有就近节点。建议开海外加速或 HLS 低延迟。",
        "海外观众访问的是国内节点，跨境链路不稳。建议开启 CDN 海外加速，或对海外用户下发 HLS "
        "地址；后台「播放域名」中可以按地区配置。",
    ),
    Scenario(
        "apps", DEF, IMPORTANT,
        "安卓 App 冷启动白屏 5 秒",
        "新版本 App 冷启动时白屏 5 秒左右才进入首页，老版本正常。",
        "请问是从哪个版本开始的？有没有改动 Application 里的初始化代码？",
        "从 3.4.0 开始，我们加了一个统计 SDK。",
        "统计 SDK 在主线程同步初始化，阻塞启动。",
        "白屏是新增的统计 SDK 在主线程同步初始化造成的。请把它挪到 `AppInitializer` 的后台"
        "任务里延迟初始化，冷启动恢复到 1.2 秒。",
    ),
    Scenario(
        "im", DEF, GENERAL,
        "直播间在线人数显示不准确",
        "直播间显示在线 5 万人，但后台统计只有 8000 人左右。",
        "请问是否开启了后台的「人数系数」配置？",
        "我们不知道有这个配置，没有改过。",
        "默认系数 1.0，但机器人人数没有扣除。",
        "显示人数包含了机器人账号。请在后台「直播设置 → 在线人数」中关闭「计入机器人」，"
        "展示数将与统计一致。",
    ),
    Scenario(
        "streaming", QST, GENERAL,
        "咨询：如何配置多码率转码？",
        "想给观众提供 480p/720p/1080p 三档清晰度，源码里应该怎么配置？",
        "请问转码是用自建 FFmpeg 集群还是云厂商的转码服务？",
        "自建，目前有 4 台转码服务器。",
        "发 transcode.yaml 模板即可。",
        "在 `config/transcode.yaml` 中为每档清晰度添加一个 profile，播放端会自动读取清晰度列表。"
        "模板和 4 台服务器的容量估算已放在附件里。",
    ),
    Scenario(
        "cdn-storage", QST, GENERAL,
        "咨询：能否接入我们自己的 CDN？",
        "我们和另一家 CDN 签了合同，想把播放和推流切过去，源码支持吗？",
        "支持。请问新 CDN 支持 RTMP 推流吗？还是只做播放加速？",
        "推流和播放都支持，鉴权方式是 Type-A。",
        "Type-A 鉴权已有实现，只需配置。",
        "支持的。在后台「CDN 配置」新增一个厂商，鉴权选择 Type-A，填写主 key 即可；推流域名"
        "和播放域名可以分别配置。切换前建议在测试服验证。",
    ),
    Scenario(
        "im", CHG, GENERAL,
        "需求：直播间支持批量禁言",
        "运营希望在直播间里一次选中多个用户禁言，现在只能一个一个点。",
        "明白。批量禁言是否需要同时设置禁言时长？是否要求记录操作日志？",
        "需要时长（1 小时 / 1 天 / 永久），也需要记录谁操作的。",
        "与 IM 组确认可在 4.1 做，工作量约 3 人日。",
        "该需求已排入 4.1 版本，支持批量禁言、时长选择和操作日志，预计下月发布。",
    ),
    Scenario(
        "admin", CHG, GENERAL,
        "需求：后台增加主播收益导出 Excel",
        "财务每月需要导出所有主播的礼物收益明细，希望后台能直接导出 Excel。",
        "请问导出需要包含哪些字段？按自然月还是自定义时间段？",
        "主播 ID、昵称、礼物流水、分成比例、实际收益，按自定义时间段。",
        "数据量大，导出需要异步任务。",
        "已排入 4.1:后台「财务 → 主播收益」增加异步导出 Excel，完成后站内信通知下载。",
    ),
    Scenario(
        "co-hosting", CHG, GENERAL,
        "需求：PK 惩罚时间可配置",
        "目前 PK 结束后的惩罚时间固定 60 秒，运营希望可以在后台配置。",
        "希望按直播间单独配置，还是全局一个值？",
        "全局一个值就可以。",
        "改动很小，可以随 3.4.2 补丁发布。",
        "已在 3.4.2 中加入后台配置项「PK 惩罚时长」，默认 60 秒。",
    ),
    Scenario(
        "gifts-payments", DEF, IMPORTANT,
        "支付宝 H5 支付跳转失败",
        "在微信内置浏览器打开 H5 充值页，选择支付宝后页面空白，无法跳转。",
        "请问是所有用户都这样，还是只在微信内打开时？",
        "只有微信里打开才这样，手机浏览器正常。",
        "微信内禁止跳转支付宝，需要引导页。",
        "微信内置浏览器会拦截支付宝跳转，这是微信的限制。3.4.1 已加入「请在浏览器中打开」引导"
        "页，补丁已发送。",
    ),
    Scenario(
        "recording-vod", DEF, IMPORTANT,
        "回放视频无法播放，m3u8 返回 404",
        "昨天以后的直播回放都打不开，播放器报错，m3u8 地址返回 404。",
        "请问录制文件是否正常写入存储？存储的 bucket 最近是否有调整？",
        "文件在存储里能看到，运维昨天把 bucket 换了一个地域。",
        "点播域名还指向旧 bucket。",
        "回放地址仍指向旧地域的 bucket。请在后台「存储配置」中更新点播域名对应的 bucket，并"
        "执行 `php artisan vod:rebuild-index` 重建索引。",
    ),
    Scenario(
        "cdn-storage", INC, IMPORTANT,
        "对象存储上传失败，报签名错误",
        "用户上传头像和封面全部失败，服务端日志报 `SignatureDoesNotMatch`。",
        "请确认服务器时间是否同步？最近有没有更换 AccessKey？",
        "服务器时间慢了 20 分钟，NTP 之前被关了。",
        "时钟漂移导致签名过期，开 NTP 即可。",
        "原因是服务器时钟慢了 20 分钟，签名被存储判定为过期。请开启 NTP 同步（`chronyd`）,"
        "上传已恢复。",
    ),
    Scenario(
        "streaming", INC, URGENT,
        "全站无法开播，推流服务器 CPU 100%",
        "半小时前开始所有主播都推不上流，推流服务器 CPU 一直 100%。",
        "我们已经在线上，请立即提供服务器 SSH 临时权限和 `top`、`netstat` 截图。",
        "权限已通过邮件发送，截图已上传。",
        "有人在刷推流鉴权接口，每秒 5000 次，需要限频。",
        "CPU 被恶意请求打满：有 IP 每秒 5000 次请求推流鉴权接口。已临时封禁来源 IP 并开启接口"
        "限频，开播已恢复。建议开启 WAF,3.4.1 默认带限频。",
    ),
    Scenario(
        "gifts-payments", DEF, URGENT,
        "充值金额与到账钻石数不一致",
        "用户充值 648 元应到账 6480 钻石，实际只到了 648。",
        "请问最近是否修改过充值档位或汇率配置？",
        "昨天运营调整了充值档位。",
        "档位配置的单位从钻石改成了元，需要数据修复。",
        "档位配置中的「到账数量」被填成了金额。请按附件修正档位，并执行补偿脚本为 312 笔"
        "订单补发差额钻石。",
    ),
    Scenario(
        "gifts-payments", SEC, URGENT,
        "安全：订单接口存在越权，可查看他人订单",
        "白帽反馈：修改 `/api/order/detail?id=` 中的 id 可以看到其他用户的订单和手机号。",
        "感谢反馈，我们立即处理。请先在 WAF 上临时拦截该接口的异常访问，并提供访问日志。",
        "已临时下线该接口，日志已上传。",
        "确认越权：接口未校验订单归属。已出补丁，需通知所有 3.x 客户。",
        "已确认订单详情接口缺少归属校验。安全补丁 3.4.1-sec1 已发布，请尽快升级；我们也检查了"
        "日志，未发现大规模利用。",
    ),
    Scenario(
        "im", SEC, IMPORTANT,
        "安全：弹幕存在 XSS 注入",
        "有用户在弹幕里发送 `<img src=x onerror=...>`，管理后台的弹幕审核页面会执行脚本。",
        "请问是哪个页面？前台播放页是否也受影响？",
        "只有后台「弹幕审核」页面，前台正常。",
        "审核页用了 v-html 渲染，需要转义。",
        "后台弹幕审核页使用了未转义的渲染方式。补丁已改为文本渲染，并对历史弹幕做了清洗，请"
        "升级到 3.4.1。",
    ),
    Scenario(
        "beauty", DEF, GENERAL,
        "低端机开启美颜后发热严重",
        "千元安卓机开美颜直播 20 分钟后机身很烫，帧率掉到 10 帧。",
        "请问开的是哪一档美颜？是否同时开了滤镜和贴纸？",
        "美颜+滤镜都开了，档位最高。",
        "低端机应该自动降级。",
        "低端机型同时开启高档美颜和滤镜时 GPU 负载过高。3.4.1 增加了机型分级，低端机自动降到"
        "标准档，并限制为 24 帧。",
    ),
    Scenario(
        "gifts-payments", INC, IMPORTANT,
        "苹果内购掉单，用户付款后未到账",
        "部分 iOS 用户内购成功但没到账，大概每天 20 单。",
        "请提供几笔掉单的 transaction_id 和服务端验证日志。",
        "transaction_id 已附上，日志显示验证超时。",
        "服务端请求苹果验证没走沙盒重试。",
        "掉单是服务端收据验证超时后没有重试。3.4.1 增加了重试和掉单补偿队列；已用脚本为这 "
        "20 笔订单补单。",
    ),
    Scenario(
        "admin", DEF, IMPORTANT,
        "升级 4.0.0-rc.1 后数据库迁移失败",
        "在测试服升级到 4.0.0-rc.1，执行迁移时报 `Duplicate column name 'gift_level'`。",
        "请问之前是否对数据库做过二次开发，自己加过 gift_level 字段？",
        "是的，我们自己加过这个字段。",
        "客户自定义字段与新版本冲突，需要手动处理。",
        "冲突来自您自定义的 `gift_level` 字段。请先按附件的 SQL 重命名该字段并迁移数据，再执行"
        "升级；rc.2 会在迁移前检查冲突。",
    ),
    Scenario(
        "co-hosting", DEF, IMPORTANT,
        "连麦时对方画面黑屏",
        "连麦成功后，有时一方看到另一方是黑屏，但声音正常。",
        "请问出现黑屏的一方是什么设备？网络是 WiFi 还是 4G？",
        "主要是华为手机，4G 网络。",
        "硬解码在部分华为机型上失败。",
        "部分华为机型硬解码 H.264 High Profile 失败。3.4.1 会在失败时自动切换软解，补丁已发送。",
    ),
    Scenario(
        "admin", QST, GENERAL,
        "咨询：后台数据看板和实际流水对不上",
        "数据看板显示昨天流水 12 万，财务对账是 10.8 万。",
        "请问看板的统计口径是按下单时间还是支付时间？",
        "不清楚，默认配置。",
        "看板包含未支付订单。",
        "看板默认统计下单金额（含未支付），财务是按支付成功统计。可在「看板设置」中切换为"
        "「按支付成功统计」。",
    ),
    Scenario(
        "streaming", QST, GENERAL,
        "咨询：万人同时在线需要什么服务器配置？",
        "下个月有一场活动，预计同时在线 1 万人，现有服务器够吗？",
        "请提供现有服务器清单和目前高峰在线人数。",
        "4 台 8 核 16G，目前高峰 3000 人。",
        "主要压力在 IM 和 CDN，推流服务器够用。",
        "播放走 CDN，推流服务器压力不大；主要需要扩容 IM（建议 4 节点 + Redis 集群）和 API "
        "（再加 2 台）。详细清单已附上。",
    ),
]

EN = [
    Scenario(
        "admin", DEF, IMPORTANT,
        "Admin backend export times out",
        "Exporting the monthly gift transactions (about 400k rows) from the admin backend fails "
        "after 60 seconds with a 504 Gateway Timeout.",
        "Thanks for the report. Which export exactly (menu path), and is there a proxy such as "
        "Nginx in front of the admin backend?",
        "Finance → Transactions → Export. Nginx with the default proxy_read_timeout.",
        "Export is synchronous and builds the file in memory; 3.4.1 moves it to a queue job.",
        "The export builds the whole file inside the request, so Nginx gives up after 60 s. "
        "3.4.1 runs exports as background jobs and e-mails a download link; the patch is attached.",
    ),
    Scenario(
        "co-hosting", CHG, GENERAL,
        "Request: add PK battle mode",
        "Our hosts want PK battles like on the big Chinese platforms: two co-hosts, a timer, gift "
        "scores on a split bar and a punishment round for the loser.",
        "Great idea. Should scores count all gifts or only gifts sent during the battle, and do "
        "you need battles between more than two hosts?",
        "Only gifts during the battle, two hosts is enough for now.",
        "PK exists in the zh build behind a flag; needs i18n and an admin toggle.",
        "PK battle mode is planned for 4.1: two hosts, timer, live score bar and a configurable "
        "punishment round. We will enable it on your staging first.",
    ),
    Scenario(
        "streaming", INC, IMPORTANT,
        "Stream stalls every few minutes for viewers in Europe",
        "Viewers in Germany and France see the player buffer every 3–5 minutes. Hosts' upload "
        "looks fine.",
        "Which CDN region serves your EU viewers, and is playback FLV or HLS?",
        "HLS, served from the Frankfurt edge.",
        "HLS segment length 10 s with a 3-segment playlist; buffers run dry on jitter.",
        "Your HLS playlist has three 10-second segments, which leaves no margin on jitter. Set "
        "`hls_fragment=4` and `hls_window=6`; stalls stopped in our test from Frankfurt.",
    ),
    Scenario(
        "co-hosting", DEF, IMPORTANT,
        "Co-host audio echo on Android",
        "When two hosts co-host on Android phones without headphones, viewers hear an echo.",
        "Does it happen on all Android devices, and are hosts using the built-in speaker?",
        "Samsung A-series mostly, built-in speaker.",
        "AEC disabled on devices without hardware echo cancellation.",
        "Echo cancellation was off on devices without hardware AEC. 3.4.1 enables software AEC "
        "on those devices automatically.",
    ),
    Scenario(
        "gifts-payments", DEF, GENERAL,
        "Gift animation plays twice on iOS",
        "On iOS, big gift animations sometimes play twice in a row for the same gift.",
        "Does it happen after the app returns from the background?",
        "Yes, mostly after switching apps.",
        "Message replay on reconnect is not de-duplicated on iOS.",
        "After a reconnect the chat history replays the gift message. 3.4.1 de-duplicates gift "
        "events by message id on iOS.",
    ),
    Scenario(
        "gifts-payments", INC, URGENT,
        "Stripe webhook signature verification fails",
        "Since this morning all Stripe webhooks fail with `No signatures found matching the "
        "expected signature`. Top-ups are not credited.",
        "Did you rotate the webhook signing secret or change the endpoint recently?",
        "We created a new endpoint in the Stripe dashboard yesterday.",
        "New endpoint ⇒ new whsec; config still has the old one.",
        "A new Stripe endpoint has its own signing secret. Put the new `whsec_…` value in "
        "`STRIPE_WEBHOOK_SECRET` and replay the failed events from the Stripe dashboard.",
    ),
    Scenario(
        "im", DEF, IMPORTANT,
        "Chat messages arrive out of order",
        "In busy rooms, chat messages sometimes appear in the wrong order on the web player.",
        "Is the web player connected over WebSocket or long polling?",
        "WebSocket.",
        "Messages fan out from two IM nodes without a sequence number.",
        "Messages from two IM nodes were shown in arrival order. 3.4.1 adds a per-room sequence "
        "number and the web player now orders by it.",
    ),
    Scenario(
        "beauty", DEF, IMPORTANT,
        "Beauty filter crashes on iPhone 12 after update",
        "After updating the app, hosts on iPhone 12 crash as soon as they enable the beauty "
        "filter.",
        "Could you send a crash log and the beauty SDK version bundled in the build?",
        "Crash log attached, SDK 2.8.3.",
        "Same Metal texture issue as the iOS 17 crash; SDK 2.9.0.",
        "This is the Metal texture issue fixed in beauty SDK 2.9.0. Please update the SDK; the "
        "upgrade notes are in the docs.",
    ),
    Scenario(
        "streaming", INC, URGENT,
        "Platform down: push server not accepting connections",
        "No host can go live. The push server refuses RTMP connections on port 1935.",
        "We're on it. Please check that the SRS process is running and send us `ss -ltnp` output.",
        "SRS is not running, it exits right after start. Output attached.",
        "Disk full: DVR filled /data, SRS cannot write its pid file.",
        "The disk was full because DVR recordings were never cleaned up, so SRS could not start. "
        "We freed space and enabled the recording cleanup job; streaming is back.",
    ),
    Scenario(
        "cdn-storage", QST, GENERAL,
        "How do we rotate the CDN signing key?",
        "Our security policy requires rotating the CDN URL signing key every 90 days. What is the "
        "procedure without breaking playback?",
        "Do you sign URLs with the primary key only, or do you use a backup key as well?",
        "Primary key only.",
        "Point them to the dual-key procedure.",
        "Set the new key as the backup key, deploy, switch primary and backup after the longest "
        "URL lifetime has passed, then remove the old key. Step-by-step guide attached.",
    ),
    Scenario(
        "recording-vod", INC, IMPORTANT,
        "Recording to S3 fails with AccessDenied",
        "Since yesterday no recordings are uploaded to S3; the recorder logs `AccessDenied`.",
        "Was the IAM policy or the bucket policy changed recently?",
        "We enabled bucket encryption with a KMS key.",
        "The role lacks kms:GenerateDataKey.",
        "With KMS encryption the recorder's role needs `kms:GenerateDataKey` on that key. Add it "
        "to the policy and re-run the upload job for the missing recordings.",
    ),
    Scenario(
        "admin", CHG, GENERAL,
        "Request: GDPR data export for a user in the admin backend",
        "We need to answer data subject access requests. Could the admin backend export all data "
        "of one user as a ZIP?",
        "Which data do you need in the export: profile, chat, gifts, payments, recordings?",
        "Profile, chat messages, gift and payment history. Recordings not needed.",
        "Feasible for 4.1, reuse the async export job.",
        "Planned for 4.1: Users → user → Export personal data, delivered as a ZIP of JSON files.",
    ),
    Scenario(
        "admin", SEC, URGENT,
        "Possible SQL injection in the room search API",
        "Our pentest found that `/api/room/search?keyword=` is injectable (time-based).",
        "Thank you. Please block the endpoint at your WAF for now and send us the payload used.",
        "Blocked. Payload attached.",
        "Confirmed: raw string concatenation in RoomSearch; fixed in 3.4.1-sec1.",
        "Confirmed and fixed in the security release 3.4.1-sec1 (parameterised query). Please "
        "upgrade; you can lift the WAF block afterwards.",
    ),
    Scenario(
        "apps", SEC, IMPORTANT,
        "Session tokens visible in app logs",
        "The Android app writes the full session token to logcat at debug level in release builds.",
        "Which app version, and is `debuggable` false in your release build?",
        "3.4.0, debuggable is false.",
        "Logger ignores build type; needs to strip tokens.",
        "The HTTP logger ignored the build type. 3.4.1 disables body logging in release builds "
        "and redacts Authorization headers everywhere.",
    ),
    Scenario(
        "recording-vod", DEF, GENERAL,
        "VOD playback restarts from the beginning",
        "When viewers reopen a replay, it starts from 0:00 instead of where they stopped.",
        "Is this on the web player, the apps, or both?",
        "Both.",
        "Resume position is saved but never read.",
        "The resume position was stored but not read on open. Fixed in 3.4.1 for web and apps.",
    ),
    Scenario(
        "streaming", QST, GENERAL,
        "Question: server sizing for 50k concurrent viewers",
        "We expect 50k concurrent viewers for a festival next month. What should we add?",
        "How many concurrent rooms do you expect, and is playback fully on the CDN?",
        "About 40 rooms, playback via CDN.",
        "Load is on IM and API, not on the origin.",
        "With playback on the CDN, add IM capacity (4 nodes, Redis cluster) and two API servers. "
        "The sizing sheet is attached.",
    ),
    Scenario(
        "apps", DEF, IMPORTANT,
        "Push notifications not delivered on Android 14",
        "Followers on Android 14 do not get the 'host is live' notification.",
        "Does the app ask for the POST_NOTIFICATIONS permission on first start?",
        "No, we never see a permission prompt.",
        "targetSdk 34 needs the runtime permission.",
        "Android 13+ needs the POST_NOTIFICATIONS runtime permission. 3.4.1 asks for it on first "
        "start; the patch is attached.",
    ),
    Scenario(
        "streaming", CHG, GENERAL,
        "Request: support SRT ingest",
        "Some of our professional hosts use hardware encoders with SRT. Could the push server "
        "accept SRT?",
        "Which encoders, and do you need SRT for playback too or only ingest?",
        "Only ingest, Haivision and Teradek encoders.",
        "SRS supports SRT; needs config and an admin UI field.",
        "SRT ingest is planned for 4.0.0: enable `srt_server` and hosts get an srt:// push URL in "
        "the app. Already available in 4.0.0-rc.1.",
    ),
    Scenario(
        "apps", QST, IMPORTANT,
        "App Store rejected our build: missing privacy manifest",
        "Apple rejected the iOS build because of a missing privacy manifest for third-party SDKs.",
        "Which SDKs did Apple list in the rejection e-mail?",
        "The beauty SDK and the analytics SDK.",
        "Beauty SDK 2.9.0 ships PrivacyInfo.xcprivacy.",
        "Beauty SDK 2.9.0 ships its privacy manifest; for the analytics SDK add the attached "
        "PrivacyInfo.xcprivacy to the app target. Resubmission should pass.",
    ),
]
# fmt: on


@dataclass(frozen=True)
class Phrases:
    """What people say in every story, in one language."""

    ack: list[str]
    nudge: list[str]
    thanks: list[str]
    again: list[str]
    closing: str
    env: str
    still: str


PHRASES = {
    "zh": Phrases(
        ack=[
            "您好，已收到，我们正在排查，有进展会第一时间同步。",
            "您好，工单已受理，工程师正在分析。",
            "收到，已转给负责该模块的工程师跟进。",
        ],
        nudge=[
            "请问有进展吗？用户投诉比较多。",
            "麻烦再帮忙看一下，今晚有活动。",
            "补充一下：今天上午又出现了一次。",
        ],
        thanks=[
            "已确认修复，谢谢！",
            "线上验证没问题了，辛苦！",
            "好的，问题解决了，可以关闭。",
        ],
        again=["更新后问题又出现了，麻烦再看一下。", "今天又复现了，日志已补充。"],
        closing="三天内没有新的反馈，先关闭工单，如有问题随时重新打开。",
        env="**环境**：{name} · v{version}",
        still="排查中，预计明天给出结论。",
    ),
    "en": Phrases(
        ack=[
            "Hi, thanks for the report. We're looking into it and will update you shortly.",
            "Thanks, an engineer is on it.",
            "Received; we've passed this to the engineer who owns this module.",
        ],
        nudge=[
            "Any update on this? Our users keep asking.",
            "Could you have another look? We have a big event tonight.",
            "For the record: it happened again this morning.",
        ],
        thanks=["Confirmed fixed, thanks!", "Works in production now, thank you.", "All good."],
        again=["It's back after the update, could you take another look?"],
        closing="No reply for three days, so we're closing this. Reopen it any time.",
        env="**Environment**: {name} · v{version}",
        still="Still investigating; we expect to have a conclusion tomorrow.",
    ),
}


@dataclass
class Cast:
    admin: User
    manager: User
    agents: list[User]
    engineers: list[User]


def _product() -> tuple[Product, dict[str, Module]]:
    slug, name = PRODUCT
    product = Product.objects.filter(slug=slug).first() or product_create(slug=slug, name=name)
    modules = {m.slug: m for m in product.modules.all()}
    for module_slug, module_name, core in MODULES:
        if module_slug not in modules:
            modules[module_slug] = module_create(
                product=product, slug=module_slug, name=module_name, is_core=core
            )
    return product, modules


def _user(email: str, name: str, role: str, organization: Organization | None = None) -> User:
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing
    return user_create(
        email=email,
        password=PASSWORD,
        role=role,
        name=name,
        organization=organization,
        check_password=False,
    )


def _organization(spec: OrgSpec, product: Product, today: date) -> Organization:
    organization = Organization.objects.filter(slug=spec.slug).first()
    if organization is None:
        organization = organization_create(name=spec.name, slug=spec.slug, email_domain=spec.domain)
    if not organization.contracts.exists():
        contract_create(
            organization=organization,
            tier_slug=spec.tier,
            starts_on=today - timedelta(days=300),
            ends_on=today + timedelta(days=430),
            time_zone=spec.time_zone,
            notes="Demo contract",
        )
    for environment, version, name in spec.deployments:
        if not organization.deployments.filter(environment=environment, name=name).exists():
            deployment_create(
                organization=organization,
                product=product,
                version=version,
                environment=environment,
                name=name,
            )
    for (local, name), role in (
        (spec.admin, Role.CUSTOMER_ADMIN),
        (spec.member, Role.CUSTOMER_MEMBER),
    ):
        _user(f"{local}@{spec.domain}", name, role, organization)
    return organization


def _status_for_age(rng: random.Random, age_days: float) -> str:
    if age_days < 2:
        weights = (45, 35, 10, 10, 0)
    elif age_days < 7:
        weights = (8, 35, 22, 25, 10)
    elif age_days < 20:
        weights = (0, 15, 10, 25, 50)
    else:
        weights = (0, 5, 3, 7, 85)
    statuses = (Status.NEW, Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED)
    return rng.choices(statuses, weights=weights)[0]


FIRST_RESPONSE_HOURS: dict[str, tuple[float, float]] = {
    URGENT: (0.05, 0.4),
    IMPORTANT: (0.2, 2.0),
    GENERAL: (0.5, 8.0),
}


@dataclass(frozen=True)
class Step:
    """One thing that happens to a ticket, `gap` hours after the step before."""

    gap: float
    action: str  # assign, reply, note, status, severity, close
    by: User
    body: str = ""
    assignee: User | None = None
    value: str = ""  # the new status or severity


@dataclass
class Story:
    steps: list[Step] = field(default_factory=list)

    def times(self, start: datetime, room: timedelta) -> list[datetime]:
        """When each step happens: the gaps in order, squeezed to fit in `room` if need be."""
        total = sum(step.gap for step in self.steps)
        scale = min(1.0, room.total_seconds() / 3600 / total) if total else 1.0
        at, times = start, []
        for step in self.steps:
            at += timedelta(hours=step.gap * scale)
            times.append(at)
        return times


def _story(  # noqa: C901 — one branch per path through the lifecycle
    rng: random.Random,
    scenario: Scenario,
    status: str,
    phrases: Phrases,
    customer: User,
    cast: Cast,
) -> Story:
    """The steps that take a new ticket to `status`, with replies from both sides."""
    story = Story()

    def add(hours: tuple[float, float], action: str, by: User, **fields: Any) -> None:
        story.steps.append(Step(rng.uniform(*hours), action, by, **fields))

    staff = rng.choice(cast.agents)
    if scenario.kind in (Kind.DEFECT, Kind.INCIDENT, Kind.SECURITY) and rng.random() < 0.7:
        assignee = rng.choice(cast.engineers)
    else:
        assignee = staff
    triage = rng.choice([*cast.agents, cast.manager])
    if status == Status.NEW:
        if rng.random() < 0.4:
            add((0.1, 1.0), "assign", triage, assignee=assignee)
        if rng.random() < 0.3:
            add((1.0, 12.0), "reply", customer, body=rng.choice(phrases.nudge))
        return story
    add((0.02, 0.5), "assign", triage, assignee=assignee)
    asks = status == Status.WAITING or rng.random() < 0.6
    first = scenario.ask if asks else rng.choice(phrases.ack)
    add(FIRST_RESPONSE_HOURS[scenario.severity], "reply", assignee, body=first)
    if rng.random() < 0.08 and scenario.severity != URGENT:
        add((0.1, 2.0), "severity", cast.manager, value=URGENT)
    if rng.random() < 0.4:
        add((0.5, 6.0), "note", rng.choice(cast.engineers), body=scenario.note)
    if status == Status.WAITING:
        add((0.01, 0.1), "status", assignee, value=Status.WAITING)
        return story
    if asks:
        add((0.5, 20.0), "reply", customer, body=scenario.answer)
    if status == Status.OPEN:
        if rng.random() < 0.4:
            add((2.0, 20.0), "reply", customer, body=rng.choice(phrases.nudge))
        if rng.random() < 0.5:
            add((0.5, 6.0), "reply", assignee, body=phrases.still)
        return story
    add((2.0, 60.0), "reply", assignee, body=scenario.fix)
    if rng.random() < 0.5:
        add((1.0, 24.0), "reply", customer, body=rng.choice(phrases.thanks))
    add((0.01, 0.2), "status", assignee, value=Status.RESOLVED)
    if status == Status.CLOSED and rng.random() < 0.08:
        add((12.0, 72.0), "reply", customer, body=rng.choice(phrases.again))  # reopens it
        add((4.0, 30.0), "reply", assignee, body=scenario.fix)
        add((0.01, 0.2), "status", assignee, value=Status.RESOLVED)
    if status == Status.CLOSED:
        if rng.random() < 0.6:
            # A customer's reply to a resolved ticket reopens it, so they just close it.
            add((2.0, 48.0), "close", customer)
        else:
            add((72.0, 80.0), "reply", staff, body=phrases.closing)
            add((0.01, 0.05), "status", staff, value=Status.CLOSED)
    return story


def _play(ticket: Ticket, story: Story, times: list[datetime]) -> None:
    for step, at in zip(story.steps, times, strict=True):
        if step.action == "assign":
            services.ticket_assign(ticket=ticket, assignee=step.assignee, by=step.by, at=at)
        elif step.action in ("reply", "note"):
            public = step.action == "reply"
            services.ticket_comment(ticket=ticket, by=step.by, body=step.body, public=public, at=at)
        elif step.action == "status":
            services.ticket_change_status(ticket=ticket, status=step.value, by=step.by, at=at)
        elif step.action == "severity":
            services.ticket_change_severity(ticket=ticket, severity=step.value, by=step.by, at=at)
        elif step.action == "close":
            services.ticket_close(ticket=ticket, by=step.by, at=at)


def _tags(scenario: Scenario, deployment: Deployment) -> list[str]:
    tags = [scenario.module]
    if "-rc" in deployment.version:
        tags.append("4.0-rc")
    if scenario.severity == URGENT:
        tags.append("hotfix")
    if deployment.environment == Deployment.Environment.STAGING:
        tags.append("staging")
    return tags


def _generate_tickets(
    rng: random.Random,
    now: datetime,
    organizations: list[tuple[OrgSpec, Organization]],
    modules: dict[str, Module],
    cast: Cast,
) -> None:
    plans = []
    for spec, organization in organizations:
        customers = list(organization.users.order_by("email"))
        deployments = list(organization.deployments.order_by("pk"))
        for _ in range(spec.tickets):
            # Ages lean recent, as a live desk's do: about a quarter from the last week.
            age = timedelta(days=HISTORY_DAYS * rng.random() ** 1.5, minutes=20)
            plans.append((now - age, spec, customers, deployments))
    plans.sort(key=lambda plan: plan[0])  # oldest first, so ticket numbers follow time
    decks: dict[str, list[Scenario]] = {"zh": [], "en": []}
    for created_at, spec, customers, deployments in plans:
        language = spec.language
        if language == "mixed" or (language == "zh" and rng.random() < 0.12):
            language = rng.choice(["zh", "en"])
        if not decks[language]:
            decks[language] = list(ZH if language == "zh" else EN)
            rng.shuffle(decks[language])
        scenario = decks[language].pop()
        phrases = PHRASES[language]
        customer = rng.choice(customers)
        production = [d for d in deployments if d.environment == Deployment.Environment.PRODUCTION]
        rc = [d for d in deployments if d.version in scenario.title]
        if rc:
            deployment = rc[0]
        elif rng.random() < 0.2:
            deployment = rng.choice(deployments)
        else:
            deployment = rng.choice(production or deployments)
        severity = scenario.severity
        if rng.random() < 0.15:  # customers do not always pick the severity staff would
            severity = rng.choice([s for s in Severity.values if s != severity])
        status = _status_for_age(rng, (now - created_at).total_seconds() / 86400)
        environment = phrases.env.format(name=deployment.name, version=deployment.version)
        ticket = services.ticket_create(
            by=customer,
            title=scenario.title,
            description=f"{scenario.description}\n\n{environment}",
            severity=severity,
            kind=scenario.kind,
            module=modules[scenario.module],
            deployment=deployment,
            at=created_at,
        )
        story = _story(rng, scenario, status, phrases, customer, cast)
        _play(ticket, story, story.times(created_at, (now - created_at) * 0.95))
        if status in (Status.NEW, Status.OPEN, Status.WAITING) and rng.random() < 0.5:
            # ticket_set_tags takes no `at`: tag only live tickets, where "now" reads true.
            services.ticket_set_tags(
                ticket=ticket, names=_tags(scenario, deployment), by=rng.choice(cast.agents)
            )


def _logins(cast: Cast, first: OrgSpec) -> str:
    rows = [
        (cast.admin.email, "admin", "Roadie"),
        (cast.manager.email, "manager", "Roadie"),
        (cast.agents[0].email, "agent", "Roadie"),
        (cast.engineers[0].email, "engineer", "Roadie"),
        (f"{first.admin[0]}@{first.domain}", "customer_admin", first.name),
        (f"{first.member[0]}@{first.domain}", "customer_member", first.name),
    ]
    width = max(len(email) for email, _, _ in rows)
    lines = [
        f"Demo logins (password for every account: {PASSWORD})",
        f"  {'E-mail':<{width}}  {'Role':<16} Organization",
    ]
    lines += [f"  {email:<{width}}  {role:<16} {org}" for email, role, org in rows]
    return "\n".join(lines)


ONCALL_SCHEDULE = "7×24 一线值班 Front line"
ONCALL_POLICY = "紧急工单 Urgent tickets"


def _oncall(cast: "Cast") -> None:
    """A 7×24 front line (agents and engineers a week each, hand-off Monday 09:00) and the
    default escalation policy: the person on call, then the manager after 10 minutes."""
    if EscalationPolicy.objects.filter(name=ONCALL_POLICY).exists():
        return
    schedule = Schedule.objects.filter(name=ONCALL_SCHEDULE).first() or schedule_create(
        name=ONCALL_SCHEDULE, time_zone="Asia/Shanghai"
    )
    if not schedule.rotations.exists():
        rotation_create(
            schedule=schedule,
            name="每周轮值 Weekly",
            kind="weekly",
            handoff_time=time(9),
            start_date=date(2026, 1, 5),
            members=[*cast.agents, *cast.engineers],
        )
    policy_create(
        name=ONCALL_POLICY,
        steps=[
            StepInput(kind="schedule", schedule=schedule, wait_minutes=10),
            StepInput(kind="user", user=cast.manager, wait_minutes=15),
        ],
        repeat_times=1,
        is_default=True,
    )


@transaction.atomic
def load_demo() -> str:
    """Create the demo organizations, people and tickets once; return the demo logins to print."""
    rng = random.Random(SEED)
    now = clock.now().replace(second=0, microsecond=0)
    last_message = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    product, modules = _product()
    staff = {email: _user(email, name, role) for email, name, role in STAFF}
    cast = Cast(
        admin=staff["admin@roadie.demo"],
        manager=staff["manager@roadie.demo"],
        agents=[staff["agent@roadie.demo"], staff["agent2@roadie.demo"]],
        engineers=[staff["engineer@roadie.demo"], staff["engineer2@roadie.demo"]],
    )
    _oncall(cast)
    organizations = [(spec, _organization(spec, product, now.date())) for spec in ORGS]
    if not Ticket.objects.filter(organization__in=[org for _, org in organizations]).exists():
        _generate_tickets(rng, now, organizations, modules, cast)
    # Two hundred tickets' worth of notification e-mails would flood the demo inboxes.
    OutboxMessage.objects.filter(pk__gt=last_message or 0).delete()
    count = Ticket.objects.filter(organization__in=[org for _, org in organizations]).count()
    summary = f"Demo data: {len(organizations)} organizations, {count} tickets."
    return f"{summary}\n{_logins(cast, ORGS[0])}"
