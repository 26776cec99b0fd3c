from django.contrib import admin

from roadie.customers.models import Contract, Deployment, Module, Organization, Product, Tier


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email_domain"]
    search_fields = ["name", "slug"]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["organization", "tier", "starts_on", "ends_on", "time_zone"]
    list_filter = ["tier"]


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    inlines = [ModuleInline]


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ["organization", "product", "version", "environment"]
    list_filter = ["environment", "product"]
