"""The organisation tree: jurisdictions and testing organisations, the sites stations serve,
users bound to organisations and stations.

An existing single-district database upgrades in place: a district node is made from the
sites' district names (or one node when they name none), the stations' organisations become
testing organisations, each station serves the sites it stands in or has sampled, regulators
are bound to the district node(s), technicians and reviewers to the stations they used.
Administrators stay unbound (the deployment's), market managers keep their sites.

Revision ID: b41c7e2d9a63
Revises: b6d2f0a8c431
Create Date: 2026-12-05 05:30:00

"""
from alembic import op
import sqlalchemy as sa

from lims.database import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'b41c7e2d9a63'
down_revision = 'b6d2f0a8c431'
branch_labels = None
depends_on = None

DEFAULT_DISTRICT = "本辖区"
DEFAULT_TESTING = "快检机构"


def upgrade():
    op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('path', sa.String(length=400), nullable=False),
        sa.Column('issuer_name', sa.String(length=100), nullable=True),
        sa.Column('seal_text', sa.String(length=100), nullable=True),
        sa.Column('compiled_by', sa.String(length=32), nullable=True),
        sa.Column('reviewed_by', sa.String(length=32), nullable=True),
        sa.Column('signed_by', sa.String(length=32), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('province', 'city', 'district', 'office', 'testing')",
                           name=op.f('ck_organisations_kind_enum')),
        sa.ForeignKeyConstraint(['parent_id'], ['organisations.id'], name=op.f('fk_organisations_parent_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
        sa.UniqueConstraint('code', name=op.f('uq_organisations_code')),
    )
    op.create_index(op.f('ix_organisations_parent_id'), 'organisations', ['parent_id'], unique=False)
    op.create_index(op.f('ix_organisations_path'), 'organisations', ['path'], unique=False)
    op.create_table(
        'station_sites',
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_station_sites_site_id_sites'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_station_sites_station_id_stations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('station_id', 'site_id', name=op.f('pk_station_sites')),
    )
    op.create_index(op.f('ix_station_sites_site_id'), 'station_sites', ['site_id'], unique=False)
    op.create_table(
        'user_orgs',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_user_orgs_org_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_orgs_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'org_id', name=op.f('pk_user_orgs')),
    )
    op.create_table(
        'user_stations',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_user_stations_station_id_stations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_stations_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'station_id', name=op.f('pk_user_stations')),
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sites_org_id'), ['org_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sites_org_id_organisations'), 'organisations', ['org_id'], ['id'])
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_stations_org_id'), ['org_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stations_org_id_organisations'), 'organisations', ['org_id'], ['id'])
    _tree_from_data(op.get_bind())


def _tree_from_data(conn):
    """Draw the tree an existing single-district database implies (nothing on an empty one)."""
    q = conn.execute
    if not q(sa.text("SELECT 1 FROM sites")).first() and not q(sa.text("SELECT 1 FROM stations")).first():
        return

    def add(code, name, kind, parent):
        row = q(sa.text("INSERT INTO organisations (code, name, kind, parent_id, path, active, created_at) "
                        "VALUES (:c, :n, :k, :p, '', :a, CURRENT_TIMESTAMP) RETURNING id"),
                {"c": code, "n": name, "k": kind, "p": parent["id"] if parent else None, "a": True}).scalar_one()
        path = (parent["path"] if parent else "/") + f"{row}/"
        q(sa.text("UPDATE organisations SET path = :p WHERE id = :i"), {"p": path, "i": row})
        return {"id": row, "path": path}

    names = [r[0] for r in q(sa.text(
        "SELECT DISTINCT TRIM(district) FROM sites WHERE district IS NOT NULL AND TRIM(district) <> '' "
        "ORDER BY 1"))]
    districts = {name: add(f"D{i + 1:02d}", name, "district", None) for i, name in enumerate(names)}
    unnamed = q(sa.text("SELECT 1 FROM sites WHERE district IS NULL OR TRIM(district) = ''")).first()
    if unnamed or not districts:
        home = next(iter(districts.values())) if len(districts) == 1 else add(
            f"D{len(districts) + 1:02d}", DEFAULT_DISTRICT, "district", None)
        districts.setdefault(None, home)
    for name, node in districts.items():
        where = "TRIM(district) = :n" if name is not None else "(district IS NULL OR TRIM(district) = '')"
        q(sa.text(f"UPDATE sites SET org_id = :o WHERE {where}"), {"o": node["id"], "n": name})
    one = next(iter(districts.values())) if len(set(n["id"] for n in districts.values())) == 1 else None

    testing_names = [r[0] for r in q(sa.text(
        "SELECT DISTINCT TRIM(organisation) FROM stations WHERE organisation IS NOT NULL "
        "AND TRIM(organisation) <> '' ORDER BY 1"))]
    for i, name in enumerate(testing_names):
        org = add(f"T{i + 1:02d}", name, "testing", one)
        q(sa.text("UPDATE stations SET org_id = :o WHERE TRIM(organisation) = :n"), {"o": org["id"], "n": name})
    if q(sa.text("SELECT 1 FROM stations WHERE org_id IS NULL")).first():
        org = add(f"T{len(testing_names) + 1:02d}", DEFAULT_TESTING, "testing", one)
        q(sa.text("UPDATE stations SET org_id = :o WHERE org_id IS NULL"), {"o": org["id"]})

    # Each station serves the site it stands in and every site it has sampled.
    q(sa.text("""
        INSERT INTO station_sites (station_id, site_id)
        SELECT station_id, site_id FROM (
            SELECT id AS station_id, site_id FROM stations WHERE site_id IS NOT NULL
            UNION SELECT station_id, site_id FROM rounds WHERE station_id IS NOT NULL
            UNION SELECT station_id, site_id FROM batches WHERE station_id IS NOT NULL
            UNION SELECT r.station_id, b.site_id FROM results r JOIN batches b ON b.id = r.batch_id
                  WHERE r.station_id IS NOT NULL
        ) served"""))
    # Regulators keep the district they saw; technicians and reviewers are bound to the
    # stations they used (tested, entered, sampled or registered with).
    for node_id in sorted({n["id"] for n in districts.values()}):
        q(sa.text("INSERT INTO user_orgs (user_id, org_id) SELECT id, :o FROM users WHERE role = 'regulator'"),
          {"o": node_id})
    q(sa.text("""
        INSERT INTO user_stations (user_id, station_id)
        SELECT DISTINCT u.id, used.station_id FROM users u JOIN (
            SELECT r.tested_by_id AS user_id, COALESCE(r.station_id, b.station_id) AS station_id
                FROM results r JOIN batches b ON b.id = r.batch_id
            UNION SELECT r.entered_by_id, COALESCE(r.station_id, b.station_id)
                FROM results r JOIN batches b ON b.id = r.batch_id
            UNION SELECT sampled_by_id, station_id FROM batches
            UNION SELECT created_by_id, station_id FROM batches
            UNION SELECT created_by_id, station_id FROM rounds
        ) used ON used.user_id = u.id
        WHERE u.role IN ('technician', 'reviewer') AND used.station_id IS NOT NULL"""))


def downgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stations_org_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stations_org_id'))
        batch_op.drop_column('org_id')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sites_org_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sites_org_id'))
        batch_op.drop_column('org_id')
    op.drop_table('user_stations')
    op.drop_table('user_orgs')
    op.drop_index(op.f('ix_station_sites_site_id'), table_name='station_sites')
    op.drop_table('station_sites')
    op.drop_index(op.f('ix_organisations_path'), table_name='organisations')
    op.drop_index(op.f('ix_organisations_parent_id'), table_name='organisations')
    op.drop_table('organisations')
